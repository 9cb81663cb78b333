package dev.thinet4j.training;

/**
 * Summary of one training epoch.
 *
 * @param epoch              1-based epoch number
 * @param iterations         iterations run so far in the whole run
 * @param trainLoss          mean loss over the epoch's batches (weighted by batch size)
 * @param trainAccuracy      fraction of the epoch's training images classified correctly while training
 *                           (TRAIN-mode forward, weights changing during the epoch)
 * @param validationAccuracy top-1 accuracy on the validation data in EVAL mode, NaN without validation data
 * @param learningRate       learning rate of the epoch's last iteration
 * @param seconds            wall time of the epoch, validation included
 * @param images             training images seen in the epoch
 */
public record EpochStats(int epoch, long iterations, double trainLoss, double trainAccuracy, double validationAccuracy,
                         double learningRate, double seconds, long images) {
    /** Training images per second of the epoch. */
    public double imagesPerSecond() {
        return seconds > 0 ? images / seconds : Double.NaN;
    }
}
