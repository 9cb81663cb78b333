package dev.thinet4j.sampling;

import java.nio.DoubleBuffer;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Streaming accumulator of the sufficient statistics of a linear least-squares problem, so that the
 * memory needed never grows with the number of samples.
 *
 * <p>For sample rows x ∈ ℝⁿ (the design, one row per sample) and targets y ∈ ℝᵏ it keeps, summed over
 * all m samples seen so far:
 * <ul>
 *   <li>XᵀX (n×n), the Gram matrix, G<sub>ij</sub> = Σ x<sub>i</sub>x<sub>j</sub>;</li>
 *   <li>XᵀY (n×k), (XᵀY)<sub>ij</sub> = Σ x<sub>i</sub>y<sub>j</sub>;</li>
 *   <li>Σ y<sub>j</sub>² per target column (k values; {@link #ytyTotal()} is their sum, ‖Y‖²<sub>F</sub>);</li>
 *   <li>Σ x (n values) and Σ y (k values), i.e. Xᵀ1 and Yᵀ1, so an intercept column of ones can be
 *       added later without sampling it;</li>
 *   <li>the sample count m.</li>
 * </ul>
 * All sums are kept in float64 on the Java heap. Memory: O(n² + n·k) doubles — 8·(n² + n·k + n + 2k)
 * bytes — independent of m. The "ThiNet mode" of the paper (rows are the per-channel contributions
 * x̂ ∈ ℝᶜ, the target is their sum ŷ) is the special case k = 1.
 *
 * <p>Not thread-safe: use one accumulator per thread and {@link #merge} them.
 */
public final class NormalEquations {
    private final int n;
    private final int k;
    private final double[] xtx;   // n*n row-major
    private final double[] xty;   // n*k row-major
    private final double[] yty;   // k
    private final double[] sumX;  // n
    private final double[] sumY;  // k
    private long count;

    /**
     * Creates an empty accumulator.
     *
     * @param features n, the length of a sample row x (≥ 1)
     * @param targets  k, the length of a target row y (≥ 1)
     * @throws IllegalArgumentException when a size is not positive or n² does not fit in an array
     */
    public NormalEquations(int features, int targets) {
        if (features < 1 || targets < 1) {
            throw new IllegalArgumentException("normal equations need at least one feature and one target, got n="
                    + features + ", k=" + targets);
        }
        if ((long) features * features > Integer.MAX_VALUE - 8 || (long) features * targets > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("normal equations with n=" + features + ", k=" + targets
                    + " are too large for one Java array");
        }
        this.n = features;
        this.k = targets;
        this.xtx = new double[features * features];
        this.xty = new double[features * targets];
        this.yty = new double[targets];
        this.sumX = new double[features];
        this.sumY = new double[targets];
    }

    /** @return a deep copy of this accumulator */
    public NormalEquations copy() {
        NormalEquations c = new NormalEquations(n, k);
        c.merge(this);
        return c;
    }

    /**
     * Adds a batch of m samples: XᵀX += xᵀx, XᵀY += xᵀy, Σy² += column sums of y∘y, Σx += xᵀ1,
     * Σy += yᵀ1, count += m. The products are built with ND4J gemm on float64 copies of the inputs
     * (float32 input is widened first, so nothing is accumulated in float32). Modifies this accumulator.
     *
     * @param x the batch design, shape [m, n], float32 or float64. Not modified.
     * @param y the batch targets, shape [m, k] (or [m] when k = 1), float32 or float64. Not modified.
     * @throws IllegalArgumentException naming both shapes when they do not fit each other or this accumulator
     */
    public void accumulate(INDArray x, INDArray y) {
        long[] xs = x.shape();
        long[] ys = y.shape();
        boolean yVector = ys.length == 1 && k == 1;
        if (xs.length != 2 || (ys.length != 2 && !yVector)) {
            throw new IllegalArgumentException("x must be [m, " + n + "] and y [m, " + k + "], but x is "
                    + Arrays.toString(xs) + " and y is " + Arrays.toString(ys));
        }
        long ym = ys[0];
        long yk = yVector ? 1 : ys[1];
        if (xs[1] != n || yk != k || xs[0] != ym) {
            throw new IllegalArgumentException("x must be [m, " + n + "] and y [m, " + k + "], but x is "
                    + Arrays.toString(xs) + " and y is " + Arrays.toString(ys));
        }
        requireFloating(x, "x");
        requireFloating(y, "y");
        if (xs[0] == 0) {
            return;
        }
        INDArray xd = x.castTo(DataType.DOUBLE);
        INDArray yd = (yVector ? y.reshape(ym, 1) : y).castTo(DataType.DOUBLE);

        addSymmetricInto(xtx, Nd4j.gemm(xd, xd, true, false), n);
        addInto(xty, Nd4j.gemm(xd, yd, true, false), n, k);
        addInto(yty, yd.mul(yd).sum(0).reshape(1, k), 1, k);
        addInto(sumX, xd.sum(0).reshape(1, n), 1, n);
        addInto(sumY, yd.sum(0).reshape(1, k), 1, k);
        count += xs[0];
    }

    private static void requireFloating(INDArray a, String name) {
        DataType t = a.dataType();
        if (!t.isFPType()) {
            throw new IllegalArgumentException(name + " must be a floating-point array, got " + t);
        }
    }

    /** Read access to a 2-D double INDArray of any ordering, strides and offset, without copying it. */
    private static final class View {
        private final DoubleBuffer buf;
        private final long off;
        private final long rs;
        private final long cs;

        View(INDArray src, int cols) {
            INDArray s = src.dataType() == DataType.DOUBLE ? src : src.castTo(DataType.DOUBLE);
            long[] stride = s.stride();
            this.off = s.offset();
            this.rs = stride.length == 2 ? stride[0] : cols;
            this.cs = stride.length == 2 ? stride[1] : 1;
            this.buf = s.data().asNioDouble();
        }

        double get(int i, int j) {
            return buf.get(Math.toIntExact(off + i * rs + j * cs));
        }
    }

    /** Adds the rows×cols matrix {@code src} into the row-major {@code dst}. */
    private static void addInto(double[] dst, INDArray src, int rows, int cols) {
        View v = new View(src, cols);
        for (int i = 0; i < rows; i++) {
            int d = i * cols;
            for (int j = 0; j < cols; j++) {
                dst[d + j] += v.get(i, j);
            }
        }
    }

    /**
     * Adds the n×n product P = xᵀx into {@code dst} as (P + Pᵀ)/2, so the Gram matrix stays exactly
     * symmetric whatever summation order gemm used for the two triangles.
     */
    private static void addSymmetricInto(double[] dst, INDArray src, int n) {
        View v = new View(src, n);
        for (int i = 0; i < n; i++) {
            dst[i * n + i] += v.get(i, i);
            for (int j = i + 1; j < n; j++) {
                double s = 0.5 * (v.get(i, j) + v.get(j, i));
                dst[i * n + j] += s;
                dst[j * n + i] += s;
            }
        }
    }

    /**
     * Adds a batch of samples given as plain arrays (convenience for tests and small problems); the same
     * sums as {@link #accumulate(INDArray, INDArray)}, computed with plain double loops. Modifies this
     * accumulator.
     *
     * @param x rows of length n, one per sample. Not modified.
     * @param y rows of length k, one per sample (same count as x). Not modified.
     * @throws IllegalArgumentException naming both shapes when they do not fit
     */
    public void accumulate(double[][] x, double[][] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x has " + x.length + " rows but y has " + y.length);
        }
        for (int r = 0; r < x.length; r++) {
            if (x[r].length != n || y[r].length != k) {
                throw new IllegalArgumentException("row " + r + ": x must be [m, " + n + "] and y [m, " + k
                        + "], but x row has " + x[r].length + " values and y row has " + y[r].length);
            }
        }
        for (int r = 0; r < x.length; r++) {
            double[] xr = x[r];
            double[] yr = y[r];
            for (int i = 0; i < n; i++) {
                double xi = xr[i];
                sumX[i] += xi;
                if (xi == 0) {
                    continue;
                }
                int gi = i * n;
                for (int j = 0; j < n; j++) {
                    xtx[gi + j] += xi * xr[j];
                }
                int bi = i * k;
                for (int j = 0; j < k; j++) {
                    xty[bi + j] += xi * yr[j];
                }
            }
            for (int j = 0; j < k; j++) {
                yty[j] += yr[j] * yr[j];
                sumY[j] += yr[j];
            }
        }
        count += x.length;
    }

    /**
     * Adds another accumulator's sums into this one (the result equals accumulating both sample sets here).
     * Modifies this accumulator.
     *
     * @param other statistics of the same n and k. Not modified (may be {@code this}, which doubles every sum).
     * @throws IllegalArgumentException naming both sizes when n or k differ
     */
    public void merge(NormalEquations other) {
        if (other.n != n || other.k != k) {
            throw new IllegalArgumentException("cannot merge normal equations with n=" + other.n + ", k=" + other.k
                    + " into n=" + n + ", k=" + k);
        }
        double[] oxtx = other == this ? xtx.clone() : other.xtx;
        add(xtx, oxtx);
        add(xty, other == this ? xty.clone() : other.xty);
        add(yty, other == this ? yty.clone() : other.yty);
        add(sumX, other == this ? sumX.clone() : other.sumX);
        add(sumY, other == this ? sumY.clone() : other.sumY);
        count += other == this ? count : other.count;
    }

    private static void add(double[] dst, double[] src) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] += src[i];
        }
    }

    /** @return n, the number of features (columns of X) */
    public int features() {
        return n;
    }

    /** @return k, the number of targets (columns of Y) */
    public int targets() {
        return k;
    }

    /** @return m, the number of samples accumulated */
    public long count() {
        return count;
    }

    /** @return a copy of XᵀX as an n×n matrix */
    public DMatrixRMaj xtx() {
        return new DMatrixRMaj(n, n, true, xtx);
    }

    /** @return a copy of XᵀY as an n×k matrix */
    public DMatrixRMaj xty() {
        return new DMatrixRMaj(n, k, true, xty);
    }

    /**
     * @param i row, in [0, n)
     * @param j column, in [0, n)
     * @return one entry (XᵀX)<sub>ij</sub>
     */
    public double xtx(int i, int j) {
        checkIndex(i, n, "row");
        checkIndex(j, n, "column");
        return xtx[i * n + j];
    }

    /**
     * @param i feature, in [0, n)
     * @param j target, in [0, k)
     * @return one entry (XᵀY)<sub>ij</sub>
     */
    public double xty(int i, int j) {
        checkIndex(i, n, "row");
        checkIndex(j, k, "target");
        return xty[i * k + j];
    }

    /**
     * The sub-block (XᵀX)<sub>rows, cols</sub> = X<sub>rows</sub>ᵀX<sub>cols</sub>, without copying the whole Gram matrix.
     *
     * @param rows feature indices in [0, n). Not modified.
     * @param cols feature indices in [0, n). Not modified.
     * @return a new |rows|×|cols| matrix
     */
    public DMatrixRMaj xtxBlock(int[] rows, int[] cols) {
        checkIndices(rows, n);
        checkIndices(cols, n);
        DMatrixRMaj out = new DMatrixRMaj(rows.length, cols.length);
        for (int a = 0; a < rows.length; a++) {
            int base = rows[a] * n;
            for (int b = 0; b < cols.length; b++) {
                out.data[a * cols.length + b] = xtx[base + cols[b]];
            }
        }
        return out;
    }

    /**
     * The rows (XᵀY)<sub>rows, :</sub> = X<sub>rows</sub>ᵀY.
     *
     * @param rows feature indices in [0, n). Not modified.
     * @return a new |rows|×k matrix
     */
    public DMatrixRMaj xtyRows(int[] rows) {
        checkIndices(rows, n);
        DMatrixRMaj out = new DMatrixRMaj(rows.length, k);
        for (int a = 0; a < rows.length; a++) {
            System.arraycopy(xty, rows[a] * k, out.data, a * k, k);
        }
        return out;
    }

    /** @return a copy of Σ y<sub>j</sub>² per target column (k values) */
    public double[] yty() {
        return yty.clone();
    }

    /** @return ‖Y‖²<sub>F</sub> = Σ<sub>j</sub> Σ y<sub>j</sub>², the total over all target columns */
    public double ytyTotal() {
        double s = 0;
        for (double v : yty) {
            s += v;
        }
        return s;
    }

    /** @return a copy of Σ x = Xᵀ1 (n values) */
    public double[] sumX() {
        return sumX.clone();
    }

    /** @return a copy of Σ y = Yᵀ1 (k values) */
    public double[] sumY() {
        return sumY.clone();
    }

    private static void checkIndex(int i, int size, String what) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(what + " index " + i + " outside [0, " + size + ")");
        }
    }

    private static void checkIndices(int[] idx, int size) {
        for (int i : idx) {
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException("feature index " + i + " outside [0, " + size + ")");
            }
        }
    }

    @Override
    public String toString() {
        return "NormalEquations[n=" + n + ", k=" + k + ", m=" + count + "]";
    }
}
