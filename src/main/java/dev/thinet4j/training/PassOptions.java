package dev.thinet4j.training;

/**
 * Settings of one forward (and backward) pass of a {@link TrainableNetwork}.
 *
 * @param mode          {@link ForwardMode#TRAIN} (batch statistics, running-statistics update, dropout) or
 *                      {@link ForwardMode#EVAL}
 * @param bnMomentum    m in PyTorch's update of the BatchNorm running statistics in TRAIN mode:
 *                      running = (1 − m)·running + m·batch, with the unbiased batch variance
 *                      (× M/(M − 1), M values per channel); in (0, 1]
 * @param dropout       probability p in [0, 1) of zeroing a value at each Identity node in TRAIN mode
 *                      (survivors are scaled by 1/(1 − p), as PyTorch's Dropout); 0 turns dropout off
 * @param seed          seed of the dropout masks of this pass
 * @param inputGradient whether {@link TrainableNetwork#lossAndGradients} also returns ∂loss/∂input
 */
public record PassOptions(ForwardMode mode, double bnMomentum, double dropout, long seed, boolean inputGradient) {
    /** PyTorch's default BatchNorm momentum. */
    public static final double DEFAULT_BN_MOMENTUM = 0.1;

    public PassOptions {
        if (mode == null) {
            throw new IllegalArgumentException("pass mode must not be null");
        }
        if (!(bnMomentum > 0 && bnMomentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm momentum must be in (0, 1], got " + bnMomentum);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + dropout);
        }
    }

    /** TRAIN mode, momentum 0.1, no dropout, no input gradient. */
    public static PassOptions train() {
        return new PassOptions(ForwardMode.TRAIN, DEFAULT_BN_MOMENTUM, 0, 0, false);
    }

    /** EVAL mode, no input gradient. */
    public static PassOptions eval() {
        return new PassOptions(ForwardMode.EVAL, DEFAULT_BN_MOMENTUM, 0, 0, false);
    }

    public PassOptions withMode(ForwardMode m) {
        return new PassOptions(m, bnMomentum, dropout, seed, inputGradient);
    }

    public PassOptions withBnMomentum(double m) {
        return new PassOptions(mode, m, dropout, seed, inputGradient);
    }

    public PassOptions withDropout(double p, long maskSeed) {
        return new PassOptions(mode, bnMomentum, p, maskSeed, inputGradient);
    }

    public PassOptions withInputGradient(boolean want) {
        return new PassOptions(mode, bnMomentum, dropout, seed, want);
    }
}
