/**
 * Surgery: which channels are coupled ({@link dev.thinet4j.surgery.DependencyGraph},
 * {@link dev.thinet4j.surgery.ChannelGroup}) and how to cut each layer kind consistently
 * ({@link dev.thinet4j.surgery.Thinning}).
 */
package dev.thinet4j.surgery;
