package dev.thinet4j.engine;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Where kernels get their float32 output and scratch arrays from.
 *
 * <p>{@link #FRESH} allocates every array anew and closes what is given back. An engine's pool
 * ({@link #pool()}) keeps the buffers its forward passes give back and hands them out again: the smallest
 * kept buffer that holds the requested number of elements (its first elements form the array). The reason is the cost of fresh native memory: allocations above glibc's
 * mmap threshold (at most 32 MiB) are new mappings every time, and touching their pages costs several
 * milliseconds per MiB on a loaded VM, far more than the arithmetic on them (measured: 600 ms for a 98 MiB
 * array). Activations of a 224×224 network at batch 8 are 100 MiB each.
 *
 * <p>Memory bound of the pool: buffers in use (handed out and not given back, not counting buffers a caller
 * {@link #hold holds} beyond a pass) plus buffers kept never exceed the largest such use seen so far (the
 * high-water mark, i.e. what the largest forward pass needed at once); after a miss, the oldest kept buffers
 * are closed until that holds again. Held buffers are bounded by their holder. With best-fit reuse a chain
 * network settles on about two activation-sized buffers. Arrays handed to a caller are
 * {@link #forget forgotten}. Thread-safe.
 */
abstract class Buffers {
    /** Allocates every array anew; {@link #recycle} closes. */
    static final Buffers FRESH = new Buffers() {
        @Override
        INDArray allocate(long... shape) {
            return Nd4j.createUninitialized(DataType.FLOAT, shape);
        }

        @Override
        void recycle(INDArray a) {
            NdArrays.closeQuietly(a);
        }

        @Override
        void forget(INDArray a) {
        }

        @Override
        void clear() {
        }
    };

    /** A new pool (see the class comment). */
    static Buffers pool() {
        return new Pool();
    }

    /** An uninitialised dense c-order float32 array; the caller overwrites every element. */
    abstract INDArray allocate(long... shape);

    /** {@link #allocate(long...)} for an int shape. */
    final INDArray allocate(int... shape) {
        return allocate(NdArrays.longs(shape));
    }

    /** Gives back the memory behind {@code a}; nothing may use it (or any view of it) afterwards. */
    abstract void recycle(INDArray a);

    /** The memory behind {@code a} now belongs to someone else (a caller): never reuse or close it. */
    abstract void forget(INDArray a);

    /** Closes every kept buffer. */
    abstract void clear();

    /** Bytes of the buffers kept for reuse. */
    long keptBytes() {
        return 0;
    }

    /** Bytes allocated anew so far (requests no kept buffer could serve). */
    long freshBytes() {
        return 0;
    }

    /**
     * The memory behind {@code a} is held by a caller until {@link #unhold}: {@link #recycle} leaves it alone.
     * Memory that did not come from these buffers is copied first.
     *
     * @return {@code a}, or the held copy
     */
    INDArray hold(INDArray a) {
        return a.dup();
    }

    /** Ends a {@link #hold} and gives the memory back. */
    void unhold(INDArray a) {
        recycle(a);
    }

    private static final class Pool extends Buffers {
        private final List<DataBuffer> free = new ArrayList<>();
        private final Set<DataBuffer> out = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<DataBuffer> held = Collections.newSetFromMap(new IdentityHashMap<>());
        private boolean closed;
        private long freeBytes;
        private long outBytes;
        /** Bytes of {@link #held} buffers (part of {@link #outBytes}, not of the working set). */
        private long heldBytes;
        /** Largest working set (outstanding minus held) seen. */
        private long highWater;
        private long fresh;

        private static long bytes(DataBuffer b) {
            return b.length() * b.getElementSize();
        }

        @Override
        synchronized INDArray allocate(long... shape) {
            long length = 1;
            for (long d : shape) {
                length *= d;
            }
            int best = -1;
            for (int i = 0; i < free.size(); i++) {
                DataBuffer b = free.get(i);
                if (b.wasClosed()) {
                    continue;
                }
                if (b.length() >= length && (best < 0 || b.length() < free.get(best).length())) {
                    best = i;
                }
            }
            DataBuffer buf;
            INDArray a;
            if (best >= 0) {
                buf = free.remove(best);
                freeBytes -= bytes(buf);
                a = Nd4j.create(buf, shape, NdArrays.cStrides(shape), 0, 'c');
            } else {
                a = Nd4j.createUninitialized(DataType.FLOAT, shape);
                buf = a.data();
                fresh += bytes(buf);
            }
            out.add(buf);
            outBytes += bytes(buf);
            highWater = Math.max(highWater, outBytes - heldBytes);
            while (!free.isEmpty() && freeBytes + outBytes - heldBytes > highWater) {
                DataBuffer old = free.remove(0);
                freeBytes -= bytes(old);
                if (!old.wasClosed()) {
                    old.close();
                }
            }
            return a;
        }

        @Override
        synchronized INDArray hold(INDArray a) {
            DataBuffer buf = NdArrays.storage(a);
            INDArray h = a;
            // foreign memory, or a best-fit buffer much larger than the tensor: hold a tight copy instead, so that
            // what is held is the tensor's size
            if (!out.contains(buf) || buf.length() > a.length() + a.length() / 8) {
                h = allocateTight(a.shape());
                h.assign(a);
            }
            if (held.add(NdArrays.storage(h))) {
                heldBytes += bytes(NdArrays.storage(h));
            }
            return h;
        }

        /** Like {@link #allocate}, but reuses only a kept buffer at most 1/8 larger than needed. */
        private INDArray allocateTight(long... shape) {
            long length = 1;
            for (long d : shape) {
                length *= d;
            }
            for (DataBuffer b : free) {
                if (!b.wasClosed() && b.length() >= length && b.length() <= length + length / 8) {
                    return allocate(shape);
                }
            }
            INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
            fresh += bytes(a.data());
            out.add(a.data());
            outBytes += bytes(a.data());
            highWater = Math.max(highWater, outBytes - heldBytes);
            return a;
        }

        @Override
        synchronized void unhold(INDArray a) {
            DataBuffer buf = NdArrays.storage(a);
            if (held.remove(buf)) {
                heldBytes -= bytes(buf);
                recycle(a);
            }
        }

        @Override
        synchronized void recycle(INDArray a) {
            if (a == null || a.wasClosed()) {
                return;
            }
            DataBuffer buf = NdArrays.storage(a);
            if (held.contains(buf)) {
                return;
            }
            boolean ours = out.remove(buf);
            if (ours) {
                outBytes -= bytes(buf);
            }
            boolean poolable = !closed && buf.dataType() == DataType.FLOAT && buf.originalDataBuffer() == null
                    && !buf.wasClosed() && !a.isAttached()
                    && (ours || freeBytes + outBytes - heldBytes + bytes(buf) <= highWater);
            if (!poolable) {
                NdArrays.closeQuietly(a);
                return;
            }
            for (DataBuffer b : free) {
                if (b == buf) {
                    return;
                }
            }
            free.add(buf);
            freeBytes += bytes(buf);
        }

        @Override
        synchronized void forget(INDArray a) {
            DataBuffer buf = NdArrays.storage(a);
            if (out.remove(buf)) {
                outBytes -= bytes(buf);
            }
        }

        @Override
        synchronized long keptBytes() {
            return freeBytes;
        }

        @Override
        synchronized long freshBytes() {
            return fresh;
        }

        @Override
        synchronized void clear() {
            closed = true;
            for (DataBuffer b : free) {
                if (!b.wasClosed()) {
                    b.close();
                }
            }
            free.clear();
            freeBytes = 0;
        }
    }
}
