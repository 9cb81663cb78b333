/**
 * Batched float32 inference of a {@link dev.thinet4j.model.Network} on ND4J's native CPU ops.
 *
 * <p>{@link dev.thinet4j.engine.InferenceEngine} converts a network's weights once and runs whole
 * forward passes or only the sub-graph needed for some requested intermediate tensors;
 * {@link dev.thinet4j.engine.OpKernel} runs a single node (one small kernel class per
 * {@link dev.thinet4j.model.Op}).
 *
 * <p>Threads: the library never sets ND4J's thread count. The native ops use OpenMP, so the number of
 * cores a forward pass uses is controlled by the {@code OMP_NUM_THREADS} environment variable of the JVM.
 */
package dev.thinet4j.engine;
