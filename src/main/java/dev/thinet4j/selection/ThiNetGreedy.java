package dev.thinet4j.selection;

import dev.thinet4j.sampling.NormalEquations;
import org.ejml.data.DMatrixRMaj;

/**
 * ThiNet channel selection (Luo et al., ICCV 2017, Algorithm 1 / eq. 6): greedily grows the removed set T.
 *
 * <p>With x̂ ∈ ℝᶜ the per-channel contributions of the next layer's sampled output entries and
 * G = X̂ᵀX̂ the C×C Gram matrix (from {@link SelectionContext#contributions()}), each step adds to T the
 * channel j ∉ T minimising
 * <pre>
 *   f(T ∪ {j}) = Σ_samples (Σ_{i∈T∪{j}} x̂_i)² = 1ᵀ G_{T∪j,T∪j} 1 = f(T) + 2 s_j + G_jj,
 * </pre>
 * where s<sub>j</sub> = Σ<sub>i∈T</sub> G<sub>ij</sub> is kept up to date (s += G<sub>:,j*</sub> after each step), so a
 * candidate costs O(1), a step O(C) and the whole selection O(C²) after sampling. Ties (equal
 * 2s<sub>j</sub> + G<sub>jj</sub>) are broken by the lower channel index.
 *
 * <p>The result lists {@link Selection#removed()} in the order chosen; scores are null; the objective is
 * f(T)/m, the mean squared contribution per sample of the removed channels. The target ŷ is not used.
 */
public final class ThiNetGreedy implements ChannelCriterion {

    @Override
    public Selection select(SelectionContext ctx, int numRemove) {
        return selectBalanced(ctx, numRemove, 1);
    }

    /**
     * The same greedy with the block quota as a constraint: step t adds the minimiser of
     * 2 Σ<sub>i∈T</sub> G<sub>ij</sub> + G<sub>jj</sub> among the channels j ∉ T whose block has fewer than numRemove / B channels in T.
     */
    @Override
    public Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        NormalEquations ne = ctx.requireContributions(name());
        ChannelCriterion.checkNumRemove(ctx, numRemove, blocks);
        DMatrixRMaj g = ne.xtx();
        int[] removed = removalOrder(g, numRemove, blocks);
        double f = subsetSum(g, removed);
        return Selection.ofRemoved(ctx.channels(), removed, null, ne.count() == 0 ? Double.NaN : f / ne.count());
    }

    /**
     * The greedy removal order on a Gram matrix: step t adds argmin<sub>j∉T</sub> (2 Σ<sub>i∈T</sub> G<sub>ij</sub> + G<sub>jj</sub>)
     * to T, lower index on ties.
     *
     * @param gram      G, C×C symmetric. Not modified.
     * @param numRemove |T| at the end, in [0, C]
     * @return the removed channels in the order chosen
     * @throws IllegalArgumentException when G is not square, holds non-finite values, or numRemove is out of range
     */
    public static int[] removalOrder(DMatrixRMaj gram, int numRemove) {
        return removalOrder(gram, numRemove, 1);
    }

    /**
     * The greedy removal order restricted to balanced removals: as {@link #removalOrder(DMatrixRMaj, int)}, but a
     * channel j is a candidate only while its block ⌊j / (C/B)⌋ has fewer than numRemove / B channels in T.
     *
     * @param gram      G, C×C symmetric. Not modified.
     * @param numRemove |T| at the end, a multiple of B in [0, C]
     * @param blocks    B ≥ 1, dividing C
     * @return the removed channels in the order chosen
     * @throws IllegalArgumentException as {@link #removalOrder(DMatrixRMaj, int)}, or when B does not divide C or
     *                                  numRemove
     */
    public static int[] removalOrder(DMatrixRMaj gram, int numRemove, int blocks) {
        int c = gram.numRows;
        if (blocks < 1 || c % blocks != 0 || numRemove % blocks != 0) {
            throw new IllegalArgumentException("cannot remove " + numRemove + " of " + c + " channels alike from "
                    + blocks + " blocks");
        }
        int size = c / blocks;
        int quota = numRemove / blocks;
        int[] taken = new int[blocks];
        if (gram.numCols != c) {
            throw new IllegalArgumentException("Gram matrix must be square, got " + gram.numRows + "x" + gram.numCols);
        }
        if (numRemove < 0 || numRemove > c) {
            throw new IllegalArgumentException("cannot remove " + numRemove + " of " + c + " channels");
        }
        double[] g = gram.data;
        for (int i = 0; i < c * c; i++) {
            if (!Double.isFinite(g[i])) {
                throw new IllegalArgumentException("Gram matrix holds a non-finite value at (" + i / c + ", " + i % c + ")");
            }
        }
        double[] s = new double[c];
        boolean[] inT = new boolean[c];
        int[] order = new int[numRemove];
        for (int step = 0; step < numRemove; step++) {
            int best = -1;
            double bestCost = Double.POSITIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                if (inT[j] || !Balanced.open(taken, j, size, quota)) {
                    continue;
                }
                double cost = 2 * s[j] + g[j * c + j];
                if (best < 0 || cost < bestCost) {
                    best = j;
                    bestCost = cost;
                }
            }
            inT[best] = true;
            taken[best / size]++;
            order[step] = best;
            int row = best * c;
            for (int i = 0; i < c; i++) {
                s[i] += g[row + i];
            }
        }
        return order;
    }

    /** 1ᵀ G<sub>T,T</sub> 1 = Σ<sub>i,j∈T</sub> G<sub>ij</sub>. */
    static double subsetSum(DMatrixRMaj g, int[] t) {
        double f = 0;
        for (int i : t) {
            for (int j : t) {
                f += g.get(i, j);
            }
        }
        return f;
    }

    @Override
    public String name() {
        return "thinet";
    }
}
