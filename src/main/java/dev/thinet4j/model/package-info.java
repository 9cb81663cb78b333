/**
 * The network model: an immutable graph ({@link dev.thinet4j.model.Network}) of named
 * {@link dev.thinet4j.model.Node}s over NCHW float32 tensors, the supported operations
 * ({@link dev.thinet4j.model.Op}), immutable weight tensors and size accounting.
 */
package dev.thinet4j.model;
