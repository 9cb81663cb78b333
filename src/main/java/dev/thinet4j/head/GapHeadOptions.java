package dev.thinet4j.head;

/**
 * Options of {@link HeadReplacement#toGapHead}.
 *
 * @param init   how the new linear layer is initialised
 * @param images calibration images the least-squares fit reads (at most; all of a smaller source), drawn
 *               at random (seeded) from the calibration data; unused by the other inits
 * @param ridge  ρ ≥ 0, the ridge relative to the features' scale: the fit adds λ = ρ·Σᵢ(Σ gᵢ² − (Σ gᵢ)²/m)/C
 *               (ρ times the summed centred variance of the C GAP features, per feature) to the diagonal of
 *               the normal equations; the bias is not penalised
 */
public record GapHeadOptions(HeadInit init, int images, double ridge) {
    /** Least squares on up to 1,000 images with ρ = 1e-4. */
    public static final GapHeadOptions DEFAULTS = new GapHeadOptions(HeadInit.LEAST_SQUARES, 1000, 1e-4);

    /**
     * Checks the values.
     *
     * @param init see the record description
     * @param images see the record description
     * @param ridge see the record description
     * @throws IllegalArgumentException when {@code init} is null, {@code images} is below 1 or the ridge is
     *                                  negative or not finite
     */
    public GapHeadOptions {
        if (init == null) {
            throw new IllegalArgumentException("GAP head init must not be null");
        }
        if (images < 1) {
            throw new IllegalArgumentException("GAP head fit needs at least 1 calibration image, got " + images);
        }
        if (!(ridge >= 0) || Double.isInfinite(ridge)) {
            throw new IllegalArgumentException("GAP head ridge must be a finite value >= 0, got " + ridge);
        }
    }

    /**
     * @param v the init
     * @return these options with another init
     */
    public GapHeadOptions withInit(HeadInit v) {
        return new GapHeadOptions(v, images, ridge);
    }

    /**
     * @param v the number of calibration images, at least 1
     * @return these options with another image count
     */
    public GapHeadOptions withImages(int v) {
        return new GapHeadOptions(init, v, ridge);
    }

    /**
     * @param v the relative ridge ρ ≥ 0
     * @return these options with another ridge
     */
    public GapHeadOptions withRidge(double v) {
        return new GapHeadOptions(init, images, v);
    }
}
