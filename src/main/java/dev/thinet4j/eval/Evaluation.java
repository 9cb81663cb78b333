package dev.thinet4j.eval;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.InputSpec;
import dev.thinet4j.model.Network;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;

/**
 * Accuracy and speed of a network on images, shared by the command line, the examples and the
 * before/after reports.
 *
 * <p>Accuracy is streamed: one batch of images and its logits are in memory at a time. Latency is
 * CPU wall time of {@link InferenceEngine#forward(INDArray)} on images already in memory (weights
 * converted beforehand, data loading excluded); it depends on {@code OMP_NUM_THREADS} and on what
 * else the machine is doing, so compare numbers taken on the same machine in the same run.
 */
public final class Evaluation {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluation.class);

    /** Images per forward pass when timing: one, the latency a single request sees. */
    public static final int DEFAULT_LATENCY_BATCH = 1;
    /** Untimed passes before timing (JIT, native thread pools, caches). */
    public static final int DEFAULT_WARMUP = 5;
    /** With warm-up asked for, untimed passes continue until this much time has passed (0.5 s). */
    public static final long MIN_WARMUP_NANOS = 500_000_000L;
    /** The most untimed passes the time floor adds. */
    public static final int MAX_WARMUP_PASSES = 1000;
    /** Timed passes; the median is reported. */
    public static final int DEFAULT_REPEATS = 15;

    private Evaluation() {
    }

    /**
     * Top-1 accuracy of {@code net} on every image of {@code images}.
     *
     * @param labels one label per image (extra labels are ignored), or {@code null} to use the labels the
     *               batches carry
     * @param batch  images per forward pass
     * @return the fraction of images whose highest-scoring output is their label (0 for no images)
     * @throws IllegalArgumentException when the images do not fit the network, there are fewer labels
     *                                  than images, or {@code batch < 1}
     * @throws IllegalStateException    when {@code labels} is null and the source has no labels
     */
    public static double accuracy(Network net, ImageSource images, int[] labels, int batch) {
        return top1(net, images, labels, batch).fraction();
    }

    /** Like {@link #accuracy(Network, ImageSource, int[], int)}, with the counts. */
    public static Accuracy top1(Network net, ImageSource images, int[] labels, int batch) {
        checkFits(net, images);
        try (InferenceEngine engine = new InferenceEngine(net)) {
            return top1(engine, images, labels, batch);
        }
    }

    /**
     * Top-1 counts with an engine the caller owns (not closed here).
     *
     * @see #accuracy(Network, ImageSource, int[], int)
     */
    public static Accuracy top1(InferenceEngine engine, ImageSource images, int[] labels, int batch) {
        Objects.requireNonNull(images, "images");
        checkBatch(batch);
        checkFits(engine.network(), images);
        checkClassifier(engine.network());
        if (labels == null && !images.hasLabels()) {
            throw new IllegalStateException("no labels: pass a labels array or use a labelled image source");
        }
        if (labels != null && images.size() > labels.length) {
            throw new IllegalArgumentException("there are " + labels.length + " labels but " + images.size()
                    + " images");
        }
        long correct = 0;
        long seen = 0;
        long t0 = System.nanoTime();
        for (Batch b : images.batches(batch)) {
            if (labels != null && b.offset() + b.n() > labels.length) {
                throw new IllegalArgumentException("there are " + labels.length + " labels but the images go on"
                        + " past image " + (b.offset() + b.n() - 1));
            }
            long[] predicted = predict(engine, b);
            for (int i = 0; i < b.n(); i++) {
                int label = labels != null ? labels[b.offset() + i] : b.label(i);
                if (predicted[i] == label) {
                    correct++;
                }
            }
            seen += b.n();
        }
        LOG.debug("top-1 {} of {} in {} s", correct, seen, (System.nanoTime() - t0) / 1e9);
        return new Accuracy(correct, seen);
    }

    /** The index of the highest output of each image of the batch. */
    private static long[] predict(InferenceEngine engine, Batch b) {
        try (INDArray x = b.toINDArray(); INDArray y = engine.forward(x)) {
            INDArray logits = y.rank() == 2 ? y : y.reshape(b.n(), y.length() / b.n());
            try (INDArray arg = logits.argMax(1)) {
                return arg.toLongVector();
            }
        }
    }

    /**
     * Median CPU milliseconds per image with {@link #DEFAULT_LATENCY_BATCH one image per pass},
     * {@link #DEFAULT_WARMUP} warm-up and {@link #DEFAULT_REPEATS} timed passes, on the first image.
     */
    public static double latencyMillisPerImage(Network net, ImageSource images) {
        return latencyMillisPerImage(net, images, DEFAULT_LATENCY_BATCH, DEFAULT_WARMUP, DEFAULT_REPEATS);
    }

    /**
     * Median CPU milliseconds per image of a forward pass over the first {@code batch} images of
     * {@code images} (fewer when the source is shorter): each timed pass's wall time divided by the
     * images in it, median over {@code repeats} passes after {@code warmup} untimed ones (when
     * {@code warmup > 0}, further untimed passes follow until {@link #MIN_WARMUP_NANOS} has passed, at most
     * {@link #MAX_WARMUP_PASSES} in all).
     *
     * @throws IllegalArgumentException when the images do not fit the network, the source is empty,
     *                                  {@code batch < 1}, {@code warmup < 0} or {@code repeats < 1}
     */
    public static double latencyMillisPerImage(Network net, ImageSource images, int batch, int warmup,
                                               int repeats) {
        checkBatch(batch);
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up passes must be >= 0, got " + warmup);
        }
        if (repeats < 1) {
            throw new IllegalArgumentException("timed passes must be at least 1, got " + repeats);
        }
        checkFits(net, images);
        Iterator<Batch> it = images.batches(batch).iterator();
        if (!it.hasNext()) {
            throw new IllegalArgumentException("no images to time the network on");
        }
        Batch first = it.next();
        if (it instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing the image iterator: {}", e.toString());
            }
        }
        double[] perImage = new double[repeats];
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = first.toINDArray()) {
            // small networks need many passes before the JIT and oneDNN's primitive caches settle: keep warming
            // up until MIN_WARMUP_NANOS have passed, however many passes that takes (bounded)
            long warmStart = System.nanoTime();
            for (int i = 0; i < warmup || (warmup > 0 && i < MAX_WARMUP_PASSES
                    && System.nanoTime() - warmStart < MIN_WARMUP_NANOS); i++) {
                engine.forward(x).close();
            }
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                INDArray y = engine.forward(x);
                long t1 = System.nanoTime();
                y.close();
                perImage[i] = (t1 - t0) / 1e6 / first.n();
            }
        }
        double median = median(perImage);
        LOG.debug("latency of {}: median {} ms/image over {} passes of {} image(s)", net.name(), median, repeats,
                first.n());
        return median;
    }

    /**
     * How {@link #latencyMillisPerImage(Network, ImageSource)} measures, for a report's footnote:
     * images per pass, passes, and the ND4J native thread setting ({@code OMP_NUM_THREADS}).
     */
    public static String latencySetup() {
        String threads = System.getenv("OMP_NUM_THREADS");
        return DEFAULT_LATENCY_BATCH + " image per forward pass, median of " + DEFAULT_REPEATS + " timed passes after "
                + "at least " + DEFAULT_WARMUP + " warm-up passes and 0.5 s, OMP_NUM_THREADS=" + (threads == null ? "unset" : threads);
    }

    /**
     * Counts and measures {@code net} for a before/after table: parameters and MACs always; top-1 accuracy
     * when {@code labels} is given or {@code images} carries labels (NaN otherwise); latency with the
     * defaults of {@link #latencyMillisPerImage(Network, ImageSource)}.
     *
     * @param labels labels of {@code images}, or {@code null}
     * @param batch  images per forward pass for the accuracy
     */
    public static ModelSnapshot snapshot(String stage, Network net, ImageSource images, int[] labels, int batch) {
        double accuracy = labels != null || images.hasLabels() ? accuracy(net, images, labels, batch) : Double.NaN;
        double latency = latencyMillisPerImage(net, images);
        return ModelSnapshot.of(stage, net, accuracy, latency);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static void checkBatch(int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batch);
        }
    }

    /**
     * Top-1 needs one output of class scores: [N, classes], or [N, classes, 1, …, 1]. A detector's heads or a
     * dense prediction map are refused, naming the outputs and their shapes.
     */
    private static void checkClassifier(Network net) {
        java.util.Map<String, int[]> shapes = net.shapes(1);
        StringBuilder outs = new StringBuilder();
        for (String o : net.outputs()) {
            outs.append(outs.length() == 0 ? "" : ", ").append('\'').append(o).append("' ")
                    .append(java.util.Arrays.toString(shapes.get(o)).replace("[1,", "[N,"));
        }
        if (net.outputs().size() != 1) {
            throw new IllegalArgumentException("top-1 accuracy needs a classifier with one output; '" + net.name()
                    + "' has " + net.outputs().size() + ": " + outs);
        }
        int[] s = shapes.get(net.outputs().get(0));
        for (int i = 2; i < s.length; i++) {
            if (s[i] != 1) {
                throw new IllegalArgumentException("top-1 accuracy needs class scores [N, classes]; the output of '"
                        + net.name() + "' is " + outs);
            }
        }
    }

    private static void checkFits(Network net, ImageSource images) {
        InputSpec in = net.input();
        if (images.channels() != in.channels() || images.height() != in.height() || images.width() != in.width()) {
            throw new IllegalArgumentException("images are " + images.channels() + "x" + images.height() + "x"
                    + images.width() + " but model input '" + in.name() + "' expects " + in.channels() + "x"
                    + in.height() + "x" + in.width());
        }
    }
}
