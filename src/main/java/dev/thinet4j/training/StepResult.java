package dev.thinet4j.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Outcome of one forward/backward pass of {@link TrainableNetwork#lossAndGradients}.
 *
 * @param loss          mean softmax cross-entropy of the batch
 * @param correct       images whose largest logit is at their label
 * @param images        images in the batch
 * @param inputGradient ∂loss/∂input [N, C, H, W], owned by the caller; null unless asked for
 */
public record StepResult(double loss, int correct, int images, INDArray inputGradient) {
}
