package dev.thinet4j.sampling;

import java.nio.DoubleBuffer;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
     * The upper triangle of {@link #xtx} lacks what {@link #accumulate(INDArray, INDArray)} added (it adds to the
     * lower one only); {@link #symmetrize()} copies it over before any read.
     */
    private boolean upperStale;

    /** Rows of x (and y) per float64 block, and rows per product panel, are sized to at most this many bytes. */
    static final long BLOCK_BYTES = 4L << 20;

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
     * Σy += yᵀ1, count += m. Modifies this accumulator.
     *
     * <p>Computed in float64 throughout (float32 input is widened first, so nothing is accumulated in
     * float32), in blocks of rows of at most {@value #BLOCK_BYTES} bytes: each block is copied once into a dense
     * float64 array and multiplied with OpenBLAS {@code dgemm} directly — the lower triangle of the Gram matrix
     * in row panels (half the multiply-adds of a full xᵀx, the upper triangle is mirrored when read, so the
     * Gram matrix stays exactly symmetric) and XᵀY in row panels too. No n×n temporary is allocated; scratch
     * memory is O(block + panel), independent of m. The blocking depends only on n, k and m, and BLAS keeps a
     * fixed summation order for a fixed thread count, so the sums are reproducible.
     *
     * @param x the batch design, shape [m, n], float32 or float64, any strides. Not modified.
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
        long m = xs[0];
        if (m == 0) {
            return;
        }
        INDArray y2 = yVector ? y.reshape(ym, 1) : y;
        int blockRows = (int) Math.max(1, Math.min(m, BLOCK_BYTES / (8L * Math.max(n, k))));
        // row panels of about n/8 rows (at least 64): the lower triangle then costs ~56 % of the full product
        int panelRows = (int) Math.max(1, Math.min(Math.min(n, BLOCK_BYTES / (8L * n)), Math.max(64, (n + 7) / 8)));
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             DoublePointer panel = new DoublePointer((long) panelRows * Math.max(n, k))) {
            double[] row = new double[Math.max(n, k)];
            for (long r0 = 0; r0 < m; r0 += blockRows) {
                int rows = (int) Math.min(blockRows, m - r0);
                try (INDArray xb = denseDouble(x, r0, rows, n); INDArray yb = denseDouble(y2, r0, rows, k)) {
                    DoublePointer px = new DoublePointer(xb.data().addressPointer());
                    DoublePointer py = new DoublePointer(yb.data().addressPointer());
                    addGramLower(px, rows, panel, panelRows, row);
                    addCross(px, py, rows, panel, panelRows, row);
                    addSums(xb, yb, rows);
                }
            }
        }
        count += m;
        upperStale = true;
    }

    /** Rows [r0, r0 + rows) of {@code a} ([m, cols], any strides, float32/64) as a new dense c-order float64 array. */
    private static INDArray denseDouble(INDArray a, long r0, int rows, int cols) {
        INDArray block = a.get(NDArrayIndex.interval(r0, r0 + rows), NDArrayIndex.all());
        INDArray d = Nd4j.createUninitialized(DataType.DOUBLE, new long[]{rows, cols}, 'c');
        d.assign(block);
        return d;
    }

    /**
     * Lower triangle (with the diagonal) of XᵀX += XbᵀXb for a dense row-major block Xb [rows, n]: row panel
     * [p0, p1) of the product, columns [0, p1), is one {@code dgemm} into {@code panel}.
     */
    private void addGramLower(DoublePointer px, int rows, DoublePointer panel, int panelRows, double[] row) {
        for (int p0 = 0; p0 < n; p0 += panelRows) {
            int p1 = Math.min(n, p0 + panelRows);
            openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans,
                    openblas_nolapack.CblasNoTrans, p1 - p0, p1, rows, 1.0, px.getPointer(p0), n, px, n, 0.0,
                    panel, p1);
            for (int i = p0; i < p1; i++) {
                panel.position((long) (i - p0) * p1).get(row, 0, i + 1);
                int d = i * n;
                for (int j = 0; j <= i; j++) {
                    xtx[d + j] += row[j];
                }
            }
            panel.position(0);
        }
    }

    /** XᵀY += XbᵀYb in row panels of XᵀY. */
    private void addCross(DoublePointer px, DoublePointer py, int rows, DoublePointer panel, int panelRows,
                          double[] row) {
        int step = (int) Math.max(1, Math.min(n, (long) panelRows * Math.max(n, k) / k));
        for (int p0 = 0; p0 < n; p0 += step) {
            int p1 = Math.min(n, p0 + step);
            openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans,
                    openblas_nolapack.CblasNoTrans, p1 - p0, k, rows, 1.0, px.getPointer(p0), n, py, k, 0.0,
                    panel, k);
            for (int i = p0; i < p1; i++) {
                panel.position((long) (i - p0) * k).get(row, 0, k);
                int d = i * k;
                for (int j = 0; j < k; j++) {
                    xty[d + j] += row[j];
                }
            }
            panel.position(0);
        }
    }

    /** Σx, Σy and Σy² of a dense block. */
    private void addSums(INDArray xb, INDArray yb, int rows) {
        DoubleBuffer bx = xb.data().asNioDouble();
        DoubleBuffer by = yb.data().asNioDouble();
        for (int r = 0; r < rows; r++) {
            int bxr = r * n;
            for (int i = 0; i < n; i++) {
                sumX[i] += bx.get(bxr + i);
            }
            int byr = r * k;
            for (int j = 0; j < k; j++) {
                double v = by.get(byr + j);
                sumY[j] += v;
                yty[j] += v * v;
            }
        }
    }

    /** Copies the lower triangle of XᵀX onto the upper one when {@link #accumulate(INDArray, INDArray)} left it stale. */
    private void symmetrize() {
        if (!upperStale) {
            return;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                xtx[j * n + i] = xtx[i * n + j];
            }
        }
        upperStale = false;
    }

    private static void requireFloating(INDArray a, String name) {
        DataType t = a.dataType();
        if (!t.isFPType()) {
            throw new IllegalArgumentException(name + " must be a floating-point array, got " + t);
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
        symmetrize();
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
        symmetrize();
        other.symmetrize();
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
        symmetrize();
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
        symmetrize();
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
        symmetrize();
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
