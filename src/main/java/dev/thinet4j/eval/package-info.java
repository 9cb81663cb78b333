/**
 * Measuring a network: streamed top-1 accuracy on labelled images, median CPU latency per image, and
 * {@link dev.thinet4j.eval.ModelSnapshot}s (accuracy, size, speed at one stage: original, pruned,
 * fine-tuned) for before/after tables.
 */
package dev.thinet4j.eval;
