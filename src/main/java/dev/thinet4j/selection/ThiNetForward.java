package dev.thinet4j.selection;

import dev.thinet4j.reconstruction.LeastSquares;
import dev.thinet4j.reconstruction.LeastSquaresSolution;
import dev.thinet4j.sampling.NormalEquations;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;

/**
 * ThiNet journal variant (TPAMI 2018), implemented as exact forward stepwise least-squares selection of the
 * <i>kept</i> set: start with S = ∅ and repeatedly add the channel whose inclusion most reduces the refitted
 * residual min<sub>w</sub> ‖ŷ − X̂<sub>S∪{j}</sub> w‖², until |S| = C − numRemove. (Of the two variants that
 * fit the paper's least-squares formulation — this one and the cheaper "most correlated with the residual"
 * rule — this one is chosen: it greedily optimises exactly the error that scale reconstruction then minimises.)
 *
 * <p>Everything comes from the normal equations G = X̂ᵀX̂, b = X̂ᵀŷ, ŷᵀŷ; the samples are never revisited.
 * With L the Cholesky factor of G<sub>SS</sub> (grown one row per step), q<sub>j</sub> = L⁻¹G<sub>Sj</sub> and
 * z = L⁻¹b<sub>S</sub>, candidate j has
 * <pre>
 *   d_j    = G_jj − ‖q_j‖²          (energy of x̂_j orthogonal to span X̂_S)
 *   c_j    = b_j − q_j·z = x̂_jᵀr     (correlation with the current residual r = ŷ − X̂_S w_S)
 *   gain_j = c_j² / d_j              (exact drop of ‖r‖² when j joins S)
 * </pre>
 * and the residual is ‖r‖² = ŷᵀŷ − ‖z‖². Adding p with ℓ = √d<sub>p</sub> appends q<sub>j</sub> ← (G<sub>pj</sub> − q<sub>p</sub>·q<sub>j</sub>)/ℓ
 * and z ← c<sub>p</sub>/ℓ, then d<sub>j</sub> −= q<sub>j,new</sub>², c<sub>j</sub> −= q<sub>j,new</sub>·z<sub>new</sub>: O(C·|S|) per step,
 * O(C·|S|²) in all. A channel with d<sub>j</sub> ≤ 1e-10·G<sub>jj</sub> (dead, or linearly dependent on S) has gain 0 and, if
 * chosen, joins S without growing L. The largest gain wins; ties go to the lower index.
 *
 * <p>Finally the scales w over S are refitted with {@link LeastSquares#solve(NormalEquations, int[], double)}
 * (Cholesky, pseudo-inverse fallback). The selection reports kept ascending, removed ascending, scores null,
 * and objective = ‖ŷ − X̂<sub>S</sub>w‖² / m, the mean squared error per sample after refitting.
 */
public final class ThiNetForward implements ChannelCriterion {
    static final double DEPENDENCE_TOLERANCE = 1e-10;

    @Override
    public Selection select(SelectionContext ctx, int numRemove) {
        return selectBalanced(ctx, numRemove, 1);
    }

    /**
     * The same forward selection with the block quota as a constraint: a channel is a candidate only while its
     * block has fewer than (C − numRemove) / B kept channels in S.
     */
    @Override
    public Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        NormalEquations ne = ctx.requireContributions(name());
        ChannelCriterion.checkNumRemove(ctx, numRemove, blocks);
        if (ne.targets() != 1) {
            throw new IllegalArgumentException("criterion '" + name() + "' needs one target (k = 1) for layer '"
                    + ctx.layer() + "', got k = " + ne.targets());
        }
        int[] order = selectionOrder(ne.xtx(), ne.xty().data, ctx.channels() - numRemove, blocks);
        int[] kept = order.clone();
        Arrays.sort(kept);
        LeastSquaresSolution fit = LeastSquares.solve(ne, kept, 0.0);
        double objective = ne.count() == 0 ? Double.NaN : fit.sse() / ne.count();
        boolean[] isKept = new boolean[ctx.channels()];
        for (int c : kept) {
            isKept[c] = true;
        }
        int[] removed = new int[numRemove];
        for (int c = 0, i = 0; c < ctx.channels(); c++) {
            if (!isKept[c]) {
                removed[i++] = c;
            }
        }
        return new Selection(kept, removed, null, objective);
    }

    /**
     * The forward-selection order of the kept set.
     *
     * @param gram    G = X̂ᵀX̂, C×C. Not modified.
     * @param xty     b = X̂ᵀŷ, C values. Not modified.
     * @param numKeep |S| at the end, in [0, C]
     * @return the kept channels in the order chosen
     * @throws IllegalArgumentException naming both shapes when G and b do not fit
     */
    public static int[] selectionOrder(DMatrixRMaj gram, double[] xty, int numKeep) {
        return selectionOrder(gram, xty, numKeep, 1);
    }

    /**
     * The forward-selection order restricted to balanced kept sets: as {@link #selectionOrder(DMatrixRMaj, double[], int)},
     * but a channel j is a candidate only while its block ⌊j / (C/B)⌋ has fewer than numKeep / B channels in S.
     *
     * @param gram    G = X̂ᵀX̂, C×C. Not modified.
     * @param xty     b = X̂ᵀŷ, C values. Not modified.
     * @param numKeep |S| at the end, a multiple of B in [0, C]
     * @param blocks  B ≥ 1, dividing C
     * @return the kept channels in the order chosen
     * @throws IllegalArgumentException as {@link #selectionOrder(DMatrixRMaj, double[], int)}, or when B does not
     *                                  divide C or numKeep
     */
    public static int[] selectionOrder(DMatrixRMaj gram, double[] xty, int numKeep, int blocks) {
        int c = gram.numRows;
        if (blocks < 1 || c % blocks != 0 || numKeep % blocks != 0) {
            throw new IllegalArgumentException("cannot keep " + numKeep + " of " + c + " channels alike in " + blocks
                    + " blocks");
        }
        int size = c / blocks;
        int quota = numKeep / blocks;
        int[] taken = new int[blocks];
        if (gram.numCols != c || xty.length < c) {
            throw new IllegalArgumentException("xtx is " + gram.numRows + "x" + gram.numCols + " but xty has "
                    + xty.length + " values");
        }
        if (numKeep < 0 || numKeep > c) {
            throw new IllegalArgumentException("cannot keep " + numKeep + " of " + c + " channels");
        }
        double[] g = gram.data;
        for (int i = 0; i < c * c; i++) {
            if (!Double.isFinite(g[i])) {
                throw new IllegalArgumentException("Gram matrix holds a non-finite value at (" + i / c + ", " + i % c + ")");
            }
        }
        double[] d = new double[c];
        double[] corr = new double[c];
        for (int j = 0; j < c; j++) {
            d[j] = g[j * c + j];
            corr[j] = xty[j];
            if (!Double.isFinite(corr[j])) {
                throw new IllegalArgumentException("xty holds a non-finite value at " + j);
            }
        }
        double[][] q = new double[c][];   // q[j][t], t < rank
        for (int j = 0; j < c; j++) {
            q[j] = new double[Math.max(numKeep, 1)];
        }
        boolean[] inS = new boolean[c];
        int[] order = new int[numKeep];
        int rank = 0;
        for (int step = 0; step < numKeep; step++) {
            int best = -1;
            double bestGain = -1;
            for (int j = 0; j < c; j++) {
                if (inS[j] || !Balanced.open(taken, j, size, quota)) {
                    continue;
                }
                double gain = independent(d[j], g[j * c + j]) ? corr[j] * corr[j] / d[j] : 0.0;
                if (gain > bestGain) {
                    best = j;
                    bestGain = gain;
                }
            }
            inS[best] = true;
            taken[best / size]++;
            order[step] = best;
            if (!independent(d[best], g[best * c + best])) {
                continue;
            }
            double ell = Math.sqrt(d[best]);
            double zNew = corr[best] / ell;
            double[] qp = q[best];
            int row = best * c;
            for (int j = 0; j < c; j++) {
                if (inS[j]) {
                    continue;
                }
                double[] qj = q[j];
                double dot = 0;
                for (int t = 0; t < rank; t++) {
                    dot += qp[t] * qj[t];
                }
                double v = (g[row + j] - dot) / ell;
                qj[rank] = v;
                d[j] = Math.max(0.0, d[j] - v * v);
                corr[j] -= v * zNew;
            }
            rank++;
        }
        return order;
    }

    private static boolean independent(double residualEnergy, double energy) {
        return energy > 0 && residualEnergy > DEPENDENCE_TOLERANCE * energy;
    }

    @Override
    public String name() {
        return "thinet-tpami";
    }
}
