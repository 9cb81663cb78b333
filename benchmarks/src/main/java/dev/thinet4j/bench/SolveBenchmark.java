package dev.thinet4j.bench;

import dev.thinet4j.reconstruction.LeastSquares;
import dev.thinet4j.reconstruction.LeastSquaresSolution;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_MT_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * EJML solve variants for the least-squares reconstruction at the sizes a VGG-16 layer gives in {@code full}
 * mode: a 3×3 consumer with C input channels has n = 9·C columns, and C targets (VGG's consumers keep the width
 * inside a block); C = 64 … 512 gives n = 576 … 4608. The variants on raw rows get m = 2·n seeded rows X
 * (correlated columns) and Y = X·W + noise; the normal-equation variants get a seeded, well-conditioned n×n
 * symmetric positive definite matrix for XᵀX (forming XᵀX of 2n rows would take minutes of set-up at C = 512, and
 * Cholesky's time does not depend on the values) and a random n×C XᵀY. Single-shot times, one solve per call.
 *
 * <ul>
 *   <li>{@link #cholesky} / {@link #choleskyMt}: normal equations, (XᵀX) W = XᵀY by Cholesky, from the
 *       already accumulated XᵀX and XᵀY — what the pruner has after sampling (it never keeps X);
 *       {@code LinearSolverFactory_DDRM.chol} (single thread) and {@code LinearSolverFactory_MT_DDRM.chol}
 *       (EJML concurrency, {@code EjmlConcurrency} threads = the available processors).</li>
 *   <li>{@link #library}: {@link LeastSquares#solve(DMatrixRMaj, DMatrixRMaj, double, double)}, the pruner's
 *       own solve (Cholesky with pivot checks plus the residual).</li>
 *   <li>{@link #qr} / {@link #qrMt}: QR (Householder) least squares on the raw m×n X,
 *       {@code LinearSolverFactory_DDRM.leastSquares} and its {@code _MT_} twin. This needs every sampled row
 *       in memory (m·n doubles), which the streamed pruner avoids.</li>
 *   <li>{@link #gramCholesky} / {@link #gramCholeskyMt}: forming XᵀX and XᵀY from the raw X
 *       ({@code CommonOps_DDRM.multTransA} / {@code CommonOps_MT_DDRM}) and then Cholesky — the normal-equation
 *       route from the same input as QR.</li>
 * </ul>
 * The variants that read X cost Θ(m·n²); at C = 512 (n = 4608, m = 9216) they take minutes, so the reported run
 * times them at C ≤ 256 only (see {@code docs/performance.md}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
public class SolveBenchmark {
    static final long SEED = 11;

    /** C: the consumer's input channels (n = 9·C columns, C targets). */
    @Param({"64", "128", "256", "512"})
    public int channels;

    private DMatrixRMaj x;
    private DMatrixRMaj y;
    private DMatrixRMaj xtx;
    private DMatrixRMaj xty;
    private double yty;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        int n = 9 * channels;
        int k = channels;
        int m = 2 * n;
        SplittableRandom rnd = new SplittableRandom(SEED);
        EjmlConcurrency.setMaxThreads(Runtime.getRuntime().availableProcessors());
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (method.startsWith("qr") || method.startsWith("gram")) {
            // the raw rows: correlated columns (a shared factor), Y = X·W + noise
            x = new DMatrixRMaj(m, n);
            double[] shared = new double[m];
            for (int i = 0; i < m; i++) {
                shared[i] = rnd.nextGaussian();
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    x.data[i * n + j] = rnd.nextGaussian() + 0.3 * shared[i];
                }
            }
            DMatrixRMaj w = new DMatrixRMaj(n, k);
            for (int i = 0; i < w.data.length; i++) {
                w.data[i] = rnd.nextGaussian() / Math.sqrt(n);
            }
            y = new DMatrixRMaj(m, k);
            CommonOps_MT_DDRM.mult(x, w, y);
            for (int i = 0; i < y.data.length; i++) {
                y.data[i] += 0.01 * rnd.nextGaussian();
            }
        } else {
            // XᵀX of m = 2n rows would cost m·n² in the set-up (minutes at C = 512); Cholesky's time does not
            // depend on the values, so a well-conditioned symmetric positive definite matrix of the same size
            // stands in for it: diagonal n, off-diagonal uniform in (−0.5, 0.5) (diagonally dominant)
            xtx = new DMatrixRMaj(n, n);
            for (int i = 0; i < n; i++) {
                xtx.data[i * n + i] = n;
                for (int j = 0; j < i; j++) {
                    double v = rnd.nextDouble() - 0.5;
                    xtx.data[i * n + j] = v;
                    xtx.data[j * n + i] = v;
                }
            }
            xty = new DMatrixRMaj(n, k);
            for (int i = 0; i < xty.data.length; i++) {
                xty.data[i] = rnd.nextGaussian() * n;
            }
            yty = 1e3 * CommonOps_DDRM.elementSumAbs(CommonOps_DDRM.elementMult(xty, xty, null)) / n;
        }
    }

    private static DMatrixRMaj solve(LinearSolverDense<DMatrixRMaj> solver, DMatrixRMaj a, DMatrixRMaj b) {
        if (!solver.setA(a)) {
            throw new IllegalStateException("decomposition failed");
        }
        DMatrixRMaj out = new DMatrixRMaj(a.numCols, b.numCols);
        solver.solve(b, out);
        return out;
    }

    /** Normal equations by Cholesky, single thread, from XᵀX and XᵀY. */
    @Benchmark
    public DMatrixRMaj cholesky() {
        return solve(LinearSolverFactory_DDRM.chol(xtx.numRows), xtx.copy(), xty);
    }

    /** Normal equations by Cholesky, EJML's multi-threaded solver. */
    @Benchmark
    public DMatrixRMaj choleskyMt() {
        return solve(LinearSolverFactory_MT_DDRM.chol(xtx.numRows), xtx.copy(), xty);
    }

    /** The pruner's solve ({@link LeastSquares}). */
    @Benchmark
    public LeastSquaresSolution library() {
        return LeastSquares.solve(xtx, xty, yty, 0);
    }

    /** QR least squares on the raw rows, single thread. */
    @Benchmark
    public DMatrixRMaj qr() {
        return solve(LinearSolverFactory_DDRM.leastSquares(x.numRows, x.numCols), x.copy(), y);
    }

    /** QR least squares on the raw rows, EJML's multi-threaded solver. */
    @Benchmark
    public DMatrixRMaj qrMt() {
        return solve(LinearSolverFactory_MT_DDRM.leastSquares(x.numRows, x.numCols), x.copy(), y);
    }

    /** XᵀX and XᵀY from the raw rows, then Cholesky, single thread. */
    @Benchmark
    public DMatrixRMaj gramCholesky() {
        DMatrixRMaj a = new DMatrixRMaj(x.numCols, x.numCols);
        DMatrixRMaj b = new DMatrixRMaj(x.numCols, y.numCols);
        CommonOps_DDRM.multTransA(x, x, a);
        CommonOps_DDRM.multTransA(x, y, b);
        return solve(LinearSolverFactory_DDRM.chol(a.numRows), a, b);
    }

    /** XᵀX and XᵀY from the raw rows, then Cholesky, multi-threaded. */
    @Benchmark
    public DMatrixRMaj gramCholeskyMt() {
        DMatrixRMaj a = new DMatrixRMaj(x.numCols, x.numCols);
        DMatrixRMaj b = new DMatrixRMaj(x.numCols, y.numCols);
        CommonOps_MT_DDRM.multTransA(x, x, a);
        CommonOps_MT_DDRM.multTransA(x, y, b);
        return solve(LinearSolverFactory_MT_DDRM.chol(a.numRows), a, b);
    }
}
