package dev.thinet4j.training;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.model.InputSpec;
import dev.thinet4j.model.Network;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Mini-batch training of a {@link Network} with softmax cross-entropy on labelled images.
 *
 * <p>Each epoch visits the training data in a seeded random order ({@link TrainingConfig#seed()}; see
 * {@link TrainingConfig#maxInMemoryBytes()} for when it is loaded into memory once); each iteration runs
 * {@link TrainableNetwork#lossAndGradients} in TRAIN mode (EVAL mode for BatchNorm with
 * {@link TrainingConfig#freezeBatchNorm()}) and one {@link Optimizer} step at the scheduled learning rate.
 * After each epoch the validation accuracy (EVAL mode) is measured when validation data is given, the
 * listener is told, and a summary is logged at INFO. The run ends after {@code epochs} epochs, after
 * {@code maxIterations} iterations, or by early stopping, whichever comes first.
 *
 * <p>The loss is on the network's first output (or the output chosen with
 * {@link TrainableNetwork#of(Network, Precision, String)}); only the parameters it depends on
 * ({@link TrainableNetwork#lossParameters()}) are optimised, so the heads of other outputs stay as they were.
 *
 * <p>The same configuration, network and data give the same weights (with the same
 * {@code OMP_NUM_THREADS}; multi-threaded native reductions may round differently).
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final TrainingConfig config;
    private final TrainingListener listener;

    public Trainer(TrainingConfig config) {
        this(config, TrainingListener.NONE);
    }

    public Trainer(TrainingConfig config, TrainingListener listener) {
        this.config = java.util.Objects.requireNonNull(config, "config");
        this.listener = java.util.Objects.requireNonNull(listener, "listener");
    }

    public TrainingConfig config() {
        return config;
    }

    /**
     * Trains a float32 copy of {@code net}.
     *
     * @param net        the network; not modified
     * @param train      labelled training images (read once per epoch, or once in all when held in memory)
     * @param validation labelled validation images, or null
     * @return the trained network and the per-epoch statistics
     * @throws IllegalArgumentException when the data does not fit the network or has no labels
     * @throws IllegalStateException    when the loss stops being finite (learning rate too high)
     */
    public TrainingResult train(Network net, ImageSource train, ImageSource validation) {
        try (TrainableNetwork tn = TrainableNetwork.of(net)) {
            return train(tn, train, validation);
        }
    }

    /**
     * Trains {@code net} in place: its parameters and running statistics hold the final (or, after early
     * stopping, the best) values afterwards.
     *
     * @param net        the network to train; modified
     * @param train      labelled training images
     * @param validation labelled validation images, or null
     * @return {@code net.toNetwork()} at the end and the per-epoch statistics
     */
    public TrainingResult train(TrainableNetwork net, ImageSource train, ImageSource validation) {
        checkFits(net.network(), train, "training");
        if (validation != null) {
            checkFits(net.network(), validation, "validation");
        }
        TrainingData data = TrainingData.of(train, config);
        long perEpoch = data.batchesPerEpoch();
        long total = perEpoch < 0 ? -1 : perEpoch * config.epochs();
        if (config.maxIterations() > 0) {
            total = total < 0 ? config.maxIterations() : Math.min(total, config.maxIterations());
        }
        if (total < 0 && config.schedule() instanceof LrSchedule.Cosine) {
            throw new IllegalArgumentException("the cosine schedule needs the number of iterations: set maxIterations"
                    + " or use training data of known size");
        }
        if (perEpoch == 0) {
            throw new IllegalArgumentException("training data " + train + " has fewer than 2 images: nothing to train on");
        }
        boolean early = validation != null && config.earlyStoppingPatience() > 0;
        if (config.earlyStoppingPatience() > 0 && validation == null) {
            LOG.warn("early stopping (patience {}) needs validation data; none given, so it is off",
                    config.earlyStoppingPatience());
        }
        LOG.info("training {} ({} parameters) on {} images for {} epoch(s){}: {}", net.network().name(),
                net.parameterCount(), data.size(), config.epochs(),
                config.maxIterations() > 0 ? " or " + config.maxIterations() + " iterations" : "", config.asMap());

        List<EpochStats> history = new ArrayList<>();
        long iteration = 0;
        boolean limitReached = false;
        boolean earlyStopped = false;
        int bestEpoch = 0;
        double best = Double.NEGATIVE_INFINITY;
        int sinceBest = 0;
        List<INDArray> bestState = null;
        try (Optimizer opt = Optimizer.create(config, net.lossParameters())) {
            for (int epoch = 0; epoch < config.epochs() && !limitReached && !earlyStopped; epoch++) {
                long t0 = System.nanoTime();
                double lossSum = 0;
                long correct = 0;
                long seen = 0;
                double lr = Double.NaN;
                Iterator<Batch> batches = data.epoch(epoch);
                while (batches.hasNext()) {
                    if (config.maxIterations() > 0 && iteration >= config.maxIterations()) {
                        limitReached = true;
                        break;
                    }
                    Batch b = batches.next();
                    lr = config.learningRate() * config.schedule().factor(epoch, iteration, Math.max(1, total));
                    StepResult r;
                    try (INDArray x = Nd4j.create(b.images(), b.shape(), DataType.FLOAT)) {
                        r = net.lossAndGradients(x, b.labels(), config.pass(iteration));
                    }
                    if (!Double.isFinite(r.loss())) {
                        throw new IllegalStateException("the training loss became " + r.loss() + " at iteration "
                                + (iteration + 1) + " (epoch " + (epoch + 1) + ", learning rate " + lr
                                + "): lower the learning rate");
                    }
                    opt.step(lr);
                    iteration++;
                    lossSum += r.loss() * b.n();
                    correct += r.correct();
                    seen += b.n();
                    listener.iterationFinished(epoch + 1, iteration, r.loss(), lr);
                    LOG.debug("epoch {} iteration {}: loss {} lr {}", epoch + 1, iteration, r.loss(), lr);
                }
                if (seen == 0) {
                    break;
                }
                double val = validation == null ? Double.NaN : accuracy(net, validation, config.batchSize());
                EpochStats stats = new EpochStats(epoch + 1, iteration, lossSum / seen, (double) correct / seen, val,
                        lr, (System.nanoTime() - t0) / 1e9, seen);
                history.add(stats);
                LOG.info("epoch {}/{}: loss {}, train accuracy {}{}, lr {}, {} images/s", epoch + 1, config.epochs(),
                        fmt(stats.trainLoss()), fmt(stats.trainAccuracy()),
                        validation == null ? "" : ", validation accuracy " + fmt(val), fmt(lr),
                        Math.round(stats.imagesPerSecond()));
                listener.epochFinished(stats);
                if (validation != null && val > best) {
                    best = val;
                    bestEpoch = epoch + 1;
                    sinceBest = 0;
                    if (early) {
                        closeAll(bestState);
                        bestState = net.snapshot();
                    }
                } else if (early && ++sinceBest >= config.earlyStoppingPatience()) {
                    LOG.info("early stopping after epoch {}: no better validation accuracy than {} (epoch {}) for {}"
                            + " epoch(s)", epoch + 1, fmt(best), bestEpoch, sinceBest);
                    earlyStopped = true;
                }
            }
            if (bestState != null && bestEpoch != history.size()) {
                LOG.info("restoring the weights of epoch {} (validation accuracy {})", bestEpoch, fmt(best));
                net.restore(bestState);
            }
        } finally {
            closeAll(bestState);
        }
        return new TrainingResult(net.toNetwork(), history, iteration, earlyStopped, bestEpoch);
    }

    /**
     * Top-1 accuracy of {@code net} on labelled data, EVAL mode.
     *
     * @param net       the network; not modified
     * @param data      labelled images
     * @param batchSize images per forward pass
     * @return correct / images
     * @throws IllegalArgumentException when the data has no labels or does not fit the network
     */
    public static double accuracy(TrainableNetwork net, ImageSource data, int batchSize) {
        checkFits(net.network(), data, "evaluation");
        long correct = 0;
        long n = 0;
        for (Batch b : data.batches(batchSize)) {
            if (b.labels() == null) {
                throw new IllegalArgumentException("evaluation data " + data + " has no labels");
            }
            try (INDArray x = Nd4j.create(b.images(), b.shape(), DataType.FLOAT);
                 INDArray z = net.logits(x, PassOptions.eval())) {
                correct += SoftmaxCrossEntropy.correct(z, b.labels());
            }
            n += b.n();
        }
        if (n == 0) {
            throw new IllegalArgumentException("evaluation data " + data + " is empty");
        }
        return (double) correct / n;
    }

    private static void checkFits(Network net, ImageSource data, String what) {
        InputSpec in = net.input();
        if (data.channels() != in.channels() || data.height() != in.height() || data.width() != in.width()) {
            throw new IllegalArgumentException(what + " images are " + data.channels() + "x" + data.height() + "x"
                    + data.width() + " but model input '" + in.name() + "' expects " + in.channels() + "x"
                    + in.height() + "x" + in.width());
        }
    }

    private static void closeAll(List<INDArray> arrays) {
        if (arrays != null) {
            arrays.forEach(Nd::close);
        }
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4g", v);
    }
}
