/**
 * Re-estimation of statistics after pruning, without training: {@link dev.thinet4j.calibration.BnRecalibration}
 * ("BN adaptation") recomputes every BatchNormalization node's running mean and variance on calibration images
 * and changes no weight.
 */
package dev.thinet4j.calibration;
