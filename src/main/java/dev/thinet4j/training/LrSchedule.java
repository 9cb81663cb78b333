package dev.thinet4j.training;

/**
 * Learning-rate schedule: the rate at iteration t (0-based, counted over the whole run) of epoch e
 * (0-based) is {@code baseRate · factor(e, t, T)}, T being the run's total number of iterations.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.Step, LrSchedule.Cosine {

    /**
     * The multiplier of the base rate.
     *
     * @param epoch           0-based epoch
     * @param iteration       0-based iteration over the whole run
     * @param totalIterations iterations the run will make (≥ 1)
     */
    double factor(int epoch, long iteration, long totalIterations);

    /** factor = 1. */
    static LrSchedule constant() {
        return new Constant();
    }

    /**
     * factor = γ^⌊e / N⌋: the rate is multiplied by γ every N epochs (PyTorch's {@code StepLR}).
     *
     * @param everyEpochs N ≥ 1
     * @param gamma       γ in (0, 1]
     */
    static LrSchedule step(int everyEpochs, double gamma) {
        return new Step(everyEpochs, gamma);
    }

    /** Cosine annealing to 0 over the run: factor = (1 + cos(π·t/T))/2. */
    static LrSchedule cosine() {
        return new Cosine(0);
    }

    /**
     * Cosine annealing per iteration: factor = f_min + (1 − f_min)·(1 + cos(π·t/T))/2, from 1 at t = 0 down
     * to f_min at t = T.
     *
     * @param minFactor f_min in [0, 1]
     */
    static LrSchedule cosine(double minFactor) {
        return new Cosine(minFactor);
    }

    /** The constant schedule. */
    record Constant() implements LrSchedule {
        @Override
        public double factor(int epoch, long iteration, long totalIterations) {
            return 1;
        }
    }

    /** γ every N epochs. */
    record Step(int everyEpochs, double gamma) implements LrSchedule {
        public Step {
            if (everyEpochs < 1) {
                throw new IllegalArgumentException("step schedule: epochs between steps must be >= 1, got " + everyEpochs);
            }
            if (!(gamma > 0 && gamma <= 1)) {
                throw new IllegalArgumentException("step schedule: gamma must be in (0, 1], got " + gamma);
            }
        }

        @Override
        public double factor(int epoch, long iteration, long totalIterations) {
            return Math.pow(gamma, epoch / everyEpochs);
        }
    }

    /** Cosine annealing over the iterations. */
    record Cosine(double minFactor) implements LrSchedule {
        public Cosine {
            if (!(minFactor >= 0 && minFactor <= 1)) {
                throw new IllegalArgumentException("cosine schedule: minimum factor must be in [0, 1], got " + minFactor);
            }
        }

        @Override
        public double factor(int epoch, long iteration, long totalIterations) {
            double progress = Math.min(1.0, (double) iteration / Math.max(1, totalIterations));
            return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        }
    }
}
