/**
 * Exact, function-preserving rewrites of a {@link dev.thinet4j.model.Network} that bring imported graphs into the
 * NCHW form the pruning machinery analyses ({@link dev.thinet4j.rewrite.ChannelsFirst}: channels-last regions
 * bracketed by transposes, as PyTorch exports ConvNeXt, become channels-first).
 */
package dev.thinet4j.rewrite;
