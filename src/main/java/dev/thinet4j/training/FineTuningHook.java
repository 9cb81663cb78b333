package dev.thinet4j.training;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.model.Network;
import dev.thinet4j.pruner.FineTuner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * ThiNet's fine-tuning for {@link dev.thinet4j.pruner.ThiNetPruner}: a short run after each pruned layer
 * and a longer one at the end, each a {@link Trainer} run on the labelled training data. The network keeps
 * its node names and shapes (training changes values only).
 *
 * <p>{@link #thinet(ImageSource, int)} gives the paper's recipe: one epoch per layer at learning rate 1e-3,
 * then the final epochs at 1e-4 (SGD, momentum 0.9, weight decay 5e-4, batch 64). For "N iterations after
 * each layer" set {@link TrainingConfig#maxIterations()} of the per-layer configuration.
 *
 * <p>The per-layer runs use the seed {@code afterLayer.seed() + index} so that each layer sees its own
 * order of the data; the final run uses {@code atEnd.seed()}. Immutable; the results of the runs are
 * collected in {@link #results()} (one instance per pruning run).
 */
public final class FineTuningHook implements FineTuner {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuningHook.class);

    private final ImageSource data;
    private final ImageSource validation;
    private final TrainingConfig afterLayer;
    private final TrainingConfig atEnd;
    private final TrainingListener listener;
    private final List<TrainingResult> results = Collections.synchronizedList(new ArrayList<>());

    /**
     * @param data       labelled training images (not closed by the hook)
     * @param afterLayer the run after each pruned layer, or null for none
     * @param atEnd      the run after the last layer, or null for none
     */
    public FineTuningHook(ImageSource data, TrainingConfig afterLayer, TrainingConfig atEnd) {
        this(data, null, afterLayer, atEnd, TrainingListener.NONE);
    }

    private FineTuningHook(ImageSource data, ImageSource validation, TrainingConfig afterLayer, TrainingConfig atEnd,
                           TrainingListener listener) {
        this.data = Objects.requireNonNull(data, "training data");
        this.validation = validation;
        this.afterLayer = afterLayer;
        this.atEnd = atEnd;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * The ThiNet paper's schedule: after each layer one epoch of SGD at lr 1e-3, at the end
     * {@code finalEpochs} epochs at lr 1e-4; momentum 0.9, weight decay 5e-4 (weights only), batch 64, seed 1.
     *
     * @param data        labelled training images
     * @param finalEpochs epochs of the final run (≥ 1)
     */
    public static FineTuningHook thinet(ImageSource data, int finalEpochs) {
        TrainingConfig layer = TrainingConfig.builder().epochs(1).batchSize(64).optimizer(OptimizerType.SGD)
                .learningRate(1e-3).momentum(0.9).weightDecay(5e-4).seed(1).build();
        TrainingConfig end = layer.toBuilder().epochs(finalEpochs).learningRate(1e-4).build();
        return new FineTuningHook(data, layer, end);
    }

    /** The same hook reporting validation accuracy (and allowing early stopping) on {@code data}. */
    public FineTuningHook withValidation(ImageSource data) {
        return new FineTuningHook(this.data, data, afterLayer, atEnd, listener);
    }

    /** The same hook telling {@code l} about every run's progress. */
    public FineTuningHook withListener(TrainingListener l) {
        return new FineTuningHook(data, validation, afterLayer, atEnd, l);
    }

    /** The same hook with another per-layer run (null: none). */
    public FineTuningHook withAfterLayer(TrainingConfig config) {
        return new FineTuningHook(data, validation, config, atEnd, listener);
    }

    /** The same hook with another final run (null: none). */
    public FineTuningHook withAtEnd(TrainingConfig config) {
        return new FineTuningHook(data, validation, afterLayer, config, listener);
    }

    public TrainingConfig afterLayerConfig() {
        return afterLayer;
    }

    public TrainingConfig atEndConfig() {
        return atEnd;
    }

    /** The results of the runs made so far, in order (per-layer runs, then the final one). */
    public List<TrainingResult> results() {
        synchronized (results) {
            return List.copyOf(results);
        }
    }

    @Override
    public Network afterLayer(Network net, int index, int total) {
        if (afterLayer == null) {
            return net;
        }
        LOG.info("fine-tuning after pruned layer {}/{}", index, total);
        TrainingConfig c = afterLayer.toBuilder().seed(afterLayer.seed() + index).build();
        return run(net, c);
    }

    @Override
    public Network atEnd(Network net) {
        if (atEnd == null) {
            return net;
        }
        LOG.info("final fine-tuning: {} epoch(s) at learning rate {}", atEnd.epochs(), atEnd.learningRate());
        return run(net, atEnd);
    }

    private Network run(Network net, TrainingConfig config) {
        TrainingResult r = new Trainer(config, listener).train(net, data, validation);
        results.add(r);
        return r.network();
    }
}
