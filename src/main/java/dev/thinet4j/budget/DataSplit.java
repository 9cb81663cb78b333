package dev.thinet4j.budget;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;

import java.util.Arrays;

/**
 * Disjoint calibration and held-out subsets of one image source: the calibration images are the seeded sample
 * {@code ImageSources.sampleIndices(size, calibrationImages, seed)} — the same draw
 * {@link dev.thinet4j.pruner.ThiNetPruner} makes from the whole source with that seed — and the held-out images a
 * seeded sample (seed + 1) of the remaining ones. The views read the given source and do not own it: close the
 * source, not the views.
 *
 * @param calibration        the calibration images, ascending source order
 * @param evaluation         the held-out images, ascending source order
 * @param evaluationLabels   labels of the held-out images in their order, or null when no labels were given
 * @param calibrationIndices source indices of the calibration images, ascending
 * @param evaluationIndices  source indices of the held-out images, ascending
 */
public record DataSplit(ImageSource calibration, ImageSource evaluation, int[] evaluationLabels,
                        int[] calibrationIndices, int[] evaluationIndices) {

    public DataSplit {
        evaluationLabels = evaluationLabels == null ? null : evaluationLabels.clone();
        calibrationIndices = calibrationIndices.clone();
        evaluationIndices = evaluationIndices.clone();
    }

    /**
     * @param data              the images (size must be known)
     * @param labels            one label per image of {@code data}, or null
     * @param calibrationImages how many calibration images (≥ 1)
     * @param evaluationImages  how many held-out images (≥ 1)
     * @param seed              the seed of both draws
     * @throws IllegalArgumentException when the data's size is unknown, too small for both, or the labels are too few
     */
    public static DataSplit of(ImageSource data, int[] labels, int calibrationImages, int evaluationImages, long seed) {
        int size = data.size();
        if (size < 0) {
            throw new IllegalArgumentException("cannot split " + data + ": its size is not known");
        }
        if (calibrationImages < 1 || evaluationImages < 1) {
            throw new IllegalArgumentException("need at least one calibration and one held-out image, asked for "
                    + calibrationImages + " and " + evaluationImages);
        }
        if (calibrationImages + evaluationImages > size) {
            throw new IllegalArgumentException("asked for " + calibrationImages + " calibration and " + evaluationImages
                    + " held-out images but the data has " + size + " (at most " + Math.max(0, size - calibrationImages)
                    + " held-out images remain)");
        }
        if (labels != null && labels.length < size) {
            throw new IllegalArgumentException("there are " + labels.length + " labels for " + size + " images");
        }
        int[] calib = ImageSources.sampleIndices(size, calibrationImages, seed);
        boolean[] taken = new boolean[size];
        for (int i : calib) {
            taken[i] = true;
        }
        int[] rest = new int[size - calib.length];
        for (int i = 0, k = 0; i < size; i++) {
            if (!taken[i]) {
                rest[k++] = i;
            }
        }
        int[] pick = ImageSources.sampleIndices(rest.length, evaluationImages, seed + 1);
        int[] eval = new int[pick.length];
        for (int k = 0; k < pick.length; k++) {
            eval[k] = rest[pick[k]];
        }
        Arrays.sort(eval);
        int[] evalLabels = null;
        if (labels != null) {
            evalLabels = new int[eval.length];
            for (int k = 0; k < eval.length; k++) {
                evalLabels[k] = labels[eval[k]];
            }
        }
        return new DataSplit(ImageSources.select(data, calib), ImageSources.select(data, eval), evalLabels, calib,
                eval);
    }

    @Override
    public int[] evaluationLabels() {
        return evaluationLabels == null ? null : evaluationLabels.clone();
    }

    @Override
    public int[] calibrationIndices() {
        return calibrationIndices.clone();
    }

    @Override
    public int[] evaluationIndices() {
        return evaluationIndices.clone();
    }
}
