package dev.thinet4j.eval;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;

import java.util.Objects;

/**
 * One row of a before/after table: a network at one stage of a run (e.g. {@code original},
 * {@code pruned}, {@code fine-tuned}).
 *
 * @param stage     what the row is, shown as is
 * @param accuracy  top-1 accuracy as a fraction in [0, 1], or NaN when not measured
 * @param params    total parameters ({@link ModelSize} convention)
 * @param macs      total MACs for one image
 * @param latencyMs median CPU milliseconds per image, or NaN when not measured
 */
public record ModelSnapshot(String stage, double accuracy, long params, long macs, double latencyMs) {
    public ModelSnapshot {
        Objects.requireNonNull(stage, "stage");
        if (!Double.isNaN(accuracy) && !(accuracy >= 0 && accuracy <= 1)) {
            throw new IllegalArgumentException("accuracy must be a fraction in [0, 1] or NaN, got " + accuracy);
        }
        if (params < 0 || macs < 0) {
            throw new IllegalArgumentException("params and MACs must be >= 0, got " + params + " and " + macs);
        }
        if (!Double.isNaN(latencyMs) && !(latencyMs >= 0 && latencyMs < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("latency must be a finite value >= 0 or NaN, got " + latencyMs);
        }
    }

    /**
     * A snapshot whose size is counted from {@code net}.
     *
     * @param accuracy  a fraction, or NaN when not measured
     * @param latencyMs milliseconds per image, or NaN when not measured
     */
    public static ModelSnapshot of(String stage, Network net, double accuracy, double latencyMs) {
        ModelSize size = ModelSize.of(net);
        return new ModelSnapshot(stage, accuracy, size.totalParams(), size.totalMacs(), latencyMs);
    }

    /** Whether the accuracy was measured. */
    public boolean hasAccuracy() {
        return !Double.isNaN(accuracy);
    }

    /** Whether the latency was measured. */
    public boolean hasLatency() {
        return !Double.isNaN(latencyMs);
    }
}
