package dev.thinet4j.training;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable configuration of a {@link Trainer} run; build with {@link #builder()}.
 *
 * @param epochs                 passes over the training data (≥ 1); the run also ends after
 *                               {@code maxIterations} iterations when that is set
 * @param batchSize              images per iteration (≥ 1). A last batch of a single image is skipped
 *                               (BatchNorm cannot use batch statistics of one value per channel)
 * @param optimizer              the update rule
 * @param learningRate           base learning rate η &gt; 0, multiplied by the schedule's factor
 * @param momentum               SGD momentum μ in [0, 1)
 * @param nesterov               Nesterov momentum (SGD only)
 * @param adamBeta1              Adam β₁ in [0, 1)
 * @param adamBeta2              Adam β₂ in [0, 1)
 * @param adamEpsilon            Adam ε &gt; 0
 * @param weightDecay            L2 weight decay λ ≥ 0 (decoupled for ADAMW)
 * @param decayBiasAndBatchNorm  apply weight decay to biases and BatchNorm scales/shifts too (default: weights only)
 * @param schedule               learning-rate schedule
 * @param seed                   seed of the per-epoch shuffles and of the dropout masks
 * @param maxIterations          stop after this many iterations (0: no limit), e.g. ThiNet's "N iterations
 *                               after each pruned layer"
 * @param bnMomentum             BatchNorm running-statistics momentum in (0, 1] (PyTorch: 0.1)
 * @param freezeBatchNorm        train with BatchNorm in EVAL mode: running statistics used and left
 *                               unchanged, γ and β still trained
 * @param l1Gamma                network slimming's sparsity coefficient s ≥ 0: s·sign(γ) is added to the
 *                               gradient of every BatchNorm scale γ
 * @param dropout                dropout rate p in [0, 1) applied at Identity nodes while training (ONNX
 *                               Dropout is imported as Identity); 0: off
 * @param earlyStoppingPatience  with validation data: stop after this many epochs without a better
 *                               validation accuracy and restore the best epoch's weights (0: off)
 * @param shuffle                shuffle the training data every epoch
 * @param maxInMemoryBytes       training sets of known size up to this many bytes of float32 pixels are
 *                               loaded into memory once and shuffled fully each epoch; larger ones are
 *                               streamed and shuffled within windows of {@code shuffleWindow} images
 * @param shuffleWindow          images per shuffled window when streaming (≥ 1)
 */
public record TrainingConfig(int epochs, int batchSize, OptimizerType optimizer, double learningRate, double momentum,
                             boolean nesterov, double adamBeta1, double adamBeta2, double adamEpsilon,
                             double weightDecay, boolean decayBiasAndBatchNorm, LrSchedule schedule, long seed,
                             long maxIterations, double bnMomentum, boolean freezeBatchNorm, double l1Gamma,
                             double dropout, int earlyStoppingPatience, boolean shuffle, long maxInMemoryBytes,
                             int shuffleWindow) {
    public TrainingConfig {
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(schedule, "schedule");
        require(epochs >= 1, "epochs must be >= 1, got " + epochs);
        require(batchSize >= 1, "batch size must be >= 1, got " + batchSize);
        require(learningRate > 0 && Double.isFinite(learningRate), "learning rate must be positive and finite, got "
                + learningRate);
        require(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got " + momentum);
        require(!nesterov || optimizer == OptimizerType.SGD && momentum > 0,
                "Nesterov momentum needs the SGD optimizer with momentum > 0");
        require(adamBeta1 >= 0 && adamBeta1 < 1, "Adam beta1 must be in [0, 1), got " + adamBeta1);
        require(adamBeta2 >= 0 && adamBeta2 < 1, "Adam beta2 must be in [0, 1), got " + adamBeta2);
        require(adamEpsilon > 0, "Adam epsilon must be positive, got " + adamEpsilon);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight decay must be >= 0, got " + weightDecay);
        require(maxIterations >= 0, "max iterations must be >= 0 (0: no limit), got " + maxIterations);
        require(bnMomentum > 0 && bnMomentum <= 1, "BatchNorm momentum must be in (0, 1], got " + bnMomentum);
        require(l1Gamma >= 0 && Double.isFinite(l1Gamma), "L1 coefficient on BatchNorm scales must be >= 0, got "
                + l1Gamma);
        require(dropout >= 0 && dropout < 1, "dropout rate must be in [0, 1), got " + dropout);
        require(earlyStoppingPatience >= 0, "early-stopping patience must be >= 0 (0: off), got "
                + earlyStoppingPatience);
        require(maxInMemoryBytes >= 0, "max in-memory bytes must be >= 0, got " + maxInMemoryBytes);
        require(shuffleWindow >= 1, "shuffle window must be >= 1 image, got " + shuffleWindow);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().epochs(epochs).batchSize(batchSize).optimizer(optimizer).learningRate(learningRate)
                .momentum(momentum).nesterov(nesterov).adamBeta1(adamBeta1).adamBeta2(adamBeta2).adamEpsilon(adamEpsilon)
                .weightDecay(weightDecay).decayBiasAndBatchNorm(decayBiasAndBatchNorm).schedule(schedule).seed(seed)
                .maxIterations(maxIterations).bnMomentum(bnMomentum).freezeBatchNorm(freezeBatchNorm).l1Gamma(l1Gamma)
                .dropout(dropout).earlyStoppingPatience(earlyStoppingPatience).shuffle(shuffle)
                .maxInMemoryBytes(maxInMemoryBytes).shuffleWindow(shuffleWindow);
    }

    /** The settings of one training pass (mode, BN momentum, dropout with a per-iteration seed). */
    PassOptions pass(long iteration) {
        return new PassOptions(freezeBatchNorm ? ForwardMode.EVAL : ForwardMode.TRAIN, bnMomentum, dropout,
                seed * 1_000_003L + iteration, false);
    }

    /** The configuration as ordered key/value pairs, for logs and reports. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epochs", Integer.toString(epochs));
        m.put("batch", Integer.toString(batchSize));
        m.put("optimizer", optimizer.name().toLowerCase(Locale.ROOT));
        m.put("lr", Double.toString(learningRate));
        if (optimizer == OptimizerType.SGD) {
            m.put("momentum", Double.toString(momentum));
            m.put("nesterov", Boolean.toString(nesterov));
        } else {
            m.put("beta1", Double.toString(adamBeta1));
            m.put("beta2", Double.toString(adamBeta2));
            m.put("eps", Double.toString(adamEpsilon));
        }
        m.put("weight_decay", Double.toString(weightDecay));
        m.put("decay_bias_bn", Boolean.toString(decayBiasAndBatchNorm));
        m.put("schedule", schedule.toString());
        m.put("seed", Long.toString(seed));
        m.put("max_iterations", Long.toString(maxIterations));
        m.put("bn_momentum", Double.toString(bnMomentum));
        m.put("freeze_bn", Boolean.toString(freezeBatchNorm));
        m.put("l1_gamma", Double.toString(l1Gamma));
        m.put("dropout", Double.toString(dropout));
        m.put("patience", Integer.toString(earlyStoppingPatience));
        m.put("shuffle", Boolean.toString(shuffle));
        return m;
    }

    /**
     * Mutable builder. Defaults: 1 epoch, batch 64, SGD lr 0.01 momentum 0.9, no weight decay, constant
     * schedule, seed 0, no iteration limit, BN momentum 0.1, no L1, no dropout, no early stopping, shuffled,
     * in memory up to 1 GiB, streaming window 8192 images.
     */
    public static final class Builder {
        private int epochs = 1;
        private int batchSize = 64;
        private OptimizerType optimizer = OptimizerType.SGD;
        private double learningRate = 0.01;
        private double momentum = 0.9;
        private boolean nesterov;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private double adamEpsilon = 1e-8;
        private double weightDecay;
        private boolean decayBiasAndBatchNorm;
        private LrSchedule schedule = LrSchedule.constant();
        private long seed;
        private long maxIterations;
        private double bnMomentum = PassOptions.DEFAULT_BN_MOMENTUM;
        private boolean freezeBatchNorm;
        private double l1Gamma;
        private double dropout;
        private int earlyStoppingPatience;
        private boolean shuffle = true;
        private long maxInMemoryBytes = 1L << 30;
        private int shuffleWindow = 8192;

        private Builder() {
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder optimizer(OptimizerType v) {
            optimizer = v;
            return this;
        }

        public Builder learningRate(double v) {
            learningRate = v;
            return this;
        }

        public Builder momentum(double v) {
            momentum = v;
            return this;
        }

        public Builder nesterov(boolean v) {
            nesterov = v;
            return this;
        }

        public Builder adamBeta1(double v) {
            adamBeta1 = v;
            return this;
        }

        public Builder adamBeta2(double v) {
            adamBeta2 = v;
            return this;
        }

        public Builder adamEpsilon(double v) {
            adamEpsilon = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder decayBiasAndBatchNorm(boolean v) {
            decayBiasAndBatchNorm = v;
            return this;
        }

        public Builder schedule(LrSchedule v) {
            schedule = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder maxIterations(long v) {
            maxIterations = v;
            return this;
        }

        public Builder bnMomentum(double v) {
            bnMomentum = v;
            return this;
        }

        public Builder freezeBatchNorm(boolean v) {
            freezeBatchNorm = v;
            return this;
        }

        public Builder l1Gamma(double v) {
            l1Gamma = v;
            return this;
        }

        public Builder dropout(double v) {
            dropout = v;
            return this;
        }

        public Builder earlyStoppingPatience(int v) {
            earlyStoppingPatience = v;
            return this;
        }

        public Builder shuffle(boolean v) {
            shuffle = v;
            return this;
        }

        public Builder maxInMemoryBytes(long v) {
            maxInMemoryBytes = v;
            return this;
        }

        public Builder shuffleWindow(int v) {
            shuffleWindow = v;
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid setting */
        public TrainingConfig build() {
            return new TrainingConfig(epochs, batchSize, optimizer, learningRate, momentum, nesterov, adamBeta1,
                    adamBeta2, adamEpsilon, weightDecay, decayBiasAndBatchNorm, schedule, seed, maxIterations,
                    bnMomentum, freezeBatchNorm, l1Gamma, dropout, earlyStoppingPatience, shuffle, maxInMemoryBytes,
                    shuffleWindow);
        }
    }
}
