package dev.thinet4j.engine;

import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Threads of the native code behind the engine, for callers that want to set them at run time.
 *
 * <p>The reliable way is the environment variable {@code OMP_NUM_THREADS}, read once when ND4J starts: it sets
 * the OpenMP threads of oneDNN (convolutions, pooling), of libnd4j's own loops (element-wise ops) and of
 * OpenBLAS (gemm). After start, {@code Nd4j.getEnvironment().setMaxThreads} has no measurable effect (measured
 * with ND4J 1.0.0-M2.1: a convolution kept using two cores, and {@code maxThreads()} kept reporting 2).
 * {@link #set(int)} sets what can be changed at run time: OpenMP's thread count <em>for the calling thread</em>
 * ({@code omp_set_num_threads}, which oneDNN's convolutions follow) and OpenBLAS's thread count
 * ({@code blas_set_num_threads}, process-wide). libnd4j's element-wise loops keep {@code OMP_NUM_THREADS}.
 */
public final class NativeThreads {
    private NativeThreads() {
    }

    /**
     * Sets the OpenMP threads of the calling thread and the OpenBLAS threads.
     *
     * @param threads at least 1
     * @return the OpenMP maximum now in effect for the calling thread
     * @throws IllegalArgumentException when {@code threads} &lt; 1
     */
    public static int set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        var ops = nativeOps();
        ops.setOmpNumThreads(threads);
        openblas_nolapack.blas_set_num_threads(threads);
        return ops.ompGetMaxThreads();
    }

    /**
     * Sets the OpenMP threads of the calling thread and the OpenBLAS threads separately (e.g. to restore what
     * {@link #current()} and {@link #blasThreads()} reported).
     *
     * @param openMp  OpenMP threads, at least 1
     * @param openBlas OpenBLAS threads, at least 1
     */
    public static void set(int openMp, int openBlas) {
        if (openMp < 1 || openBlas < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + openMp + " and " + openBlas);
        }
        nativeOps().setOmpNumThreads(openMp);
        openblas_nolapack.blas_set_num_threads(openBlas);
    }

    /**
     * @return OpenBLAS's thread count
     */
    public static int blasThreads() {
        nativeOps();
        return openblas_nolapack.blas_get_num_threads();
    }

    /**
     * @return the OpenMP maximum thread count in effect for the calling thread
     */
    public static int current() {
        return nativeOps().ompGetMaxThreads();
    }

    private static org.nd4j.nativeblas.NativeOps nativeOps() {
        Nd4j.getExecutioner(); // loads the backend first; NativeOpsHolder alone fails before that
        return NativeOpsHolder.getInstance().getDeviceNativeOps();
    }
}
