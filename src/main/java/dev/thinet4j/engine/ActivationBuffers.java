package dev.thinet4j.engine;

/**
 * Native memory for activations, kept by engines for reuse. Every {@link InferenceEngine} has its own unless
 * it is given one to share ({@link InferenceEngine#InferenceEngine(dev.thinet4j.model.Network, ActivationBuffers)}):
 * engines that run one after another on data of the same size (e.g. the successive networks of a layer-by-layer
 * pruning run) then reuse each other's buffers instead of each paying for fresh memory — touching fresh native
 * memory costs page faults, several milliseconds per MiB on a loaded virtual machine, which is more than the
 * arithmetic of a convolution layer.
 *
 * <p>Memory bound: buffers in use plus buffers kept never exceed the most that the sharing engines had in use at
 * once (the high-water mark); reuse is best fit (the smallest kept buffer that is large enough). Thread-safe.
 * {@link #close()} frees the kept buffers; engines using this object keep working (they allocate anew).
 */
public final class ActivationBuffers implements AutoCloseable {
    final Buffers pool = Buffers.pool();

    /** An empty set of buffers. */
    public ActivationBuffers() {
    }

    /**
     * @return bytes of native memory kept for reuse right now (not counting buffers in use)
     */
    public long keptBytes() {
        return pool.keptBytes();
    }

    /**
     * Keeps a tensor lent by {@link InferenceEngine#withTensors} beyond the lending call, without copying it: its
     * memory is not reused until {@link #release}. Call it inside the reader, on an array it was lent by an engine
     * using these buffers; the array stays read-only (it may be an NCHW-shaped view of NHWC memory) and can be
     * given back to an engine as a start tensor.
     *
     * @param lent a tensor lent by an engine that uses these buffers
     * @return {@code lent}, or a copy of it in these buffers when its memory is not theirs (e.g. a tensor the
     *         caller gave the engine)
     */
    public org.nd4j.linalg.api.ndarray.INDArray keep(org.nd4j.linalg.api.ndarray.INDArray lent) {
        return pool.hold(lent);
    }

    /**
     * Gives back the memory of a tensor kept with {@link #keep}; the array must not be used afterwards.
     *
     * @param kept an array returned by {@link #keep}
     */
    public void release(org.nd4j.linalg.api.ndarray.INDArray kept) {
        pool.unhold(kept);
    }

    /**
     * @return bytes of native memory allocated anew so far because no kept buffer was large enough (a measure
     *         of how well the buffers are reused)
     */
    public long freshBytes() {
        return pool.freshBytes();
    }

    /** Frees the kept buffers. Buffers given back later are freed at once. */
    @Override
    public void close() {
        pool.clear();
    }
}
