package dev.thinet4j.zoo;

import java.util.Objects;

/**
 * How the weights of a zoo network are drawn.
 *
 * <ul>
 *   <li>Convolution weights: Kaiming-normal in fan-out mode for ReLU, N(0, 2/(C_out·k_h·k_w)), as
 *       torchvision initialises VGG and ResNet.</li>
 *   <li>Convolution biases (VGG only; ResNet convolutions have none): {@link #biasInit()}.</li>
 *   <li>Linear weight and bias: U[−1/√in, 1/√in].</li>
 *   <li>Batch normalisation: {@link #bnInit()}, with ε = {@link #bnEpsilon()}.</li>
 * </ul>
 *
 * <p>Every layer draws from its own {@link java.util.SplittableRandom} seeded from {@link #seed()}
 * and the node name, so equal options give bit-identical weights on every run and JVM.
 *
 * @param seed      the random seed
 * @param bnInit    batch-normalisation initialisation
 * @param biasInit  convolution bias initialisation
 * @param bnEpsilon ε of every batch-normalisation layer, positive
 */
public record ZooOptions(long seed, BnInit bnInit, BiasInit biasInit, float bnEpsilon) {
    /** PyTorch's default batch-normalisation ε. */
    public static final float DEFAULT_BN_EPSILON = 1e-5f;

    public ZooOptions {
        Objects.requireNonNull(bnInit, "bnInit");
        Objects.requireNonNull(biasInit, "biasInit");
        if (!(bnEpsilon > 0) || !Float.isFinite(bnEpsilon)) {
            throw new IllegalArgumentException("bnEpsilon must be positive and finite, got " + bnEpsilon);
        }
    }

    /** Seed 0, torchvision-style initialisation (identity BN, zero conv biases). */
    public static ZooOptions defaults() {
        return builder().build();
    }

    /** Torchvision-style initialisation with the given seed. */
    public static ZooOptions seeded(long seed) {
        return builder().seed(seed).build();
    }

    /**
     * Random BN statistics and random conv biases with the given seed: the choice for tests of BN
     * folding and pruning, where identity BNs and zero biases would hide mistakes.
     */
    public static ZooOptions randomized(long seed) {
        return builder().seed(seed).bnInit(BnInit.RANDOM).biasInit(BiasInit.UNIFORM).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder().seed(seed).bnInit(bnInit).biasInit(biasInit).bnEpsilon(bnEpsilon);
    }

    /** Builder for {@link ZooOptions}; defaults as {@link #defaults()}. */
    public static final class Builder {
        private long seed;
        private BnInit bnInit = BnInit.IDENTITY;
        private BiasInit biasInit = BiasInit.ZERO;
        private float bnEpsilon = DEFAULT_BN_EPSILON;

        private Builder() {
        }

        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        public Builder bnInit(BnInit value) {
            this.bnInit = value;
            return this;
        }

        public Builder biasInit(BiasInit value) {
            this.biasInit = value;
            return this;
        }

        public Builder bnEpsilon(float value) {
            this.bnEpsilon = value;
            return this;
        }

        public ZooOptions build() {
            return new ZooOptions(seed, bnInit, biasInit, bnEpsilon);
        }
    }
}
