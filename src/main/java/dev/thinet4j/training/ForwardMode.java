package dev.thinet4j.training;

/** How a forward pass treats the layers that behave differently while training. */
public enum ForwardMode {
    /**
     * Training: BatchNorm normalises with the batch's own statistics (mean and biased variance over
     * every axis but 1) and moves its running statistics toward them; Dropout (Identity nodes) drops
     * values when a dropout rate is set.
     */
    TRAIN,
    /** Inference: BatchNorm uses its running statistics and leaves them alone; Identity passes values through. */
    EVAL
}
