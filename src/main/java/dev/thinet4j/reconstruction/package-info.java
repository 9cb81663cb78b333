/**
 * Least-squares refitting of a pruned layer's consumer from streamed normal equations
 * ({@link dev.thinet4j.sampling.NormalEquations}): the solver ({@link dev.thinet4j.reconstruction.LeastSquares}:
 * Cholesky with pseudo-inverse / adaptive-ridge fallback), ThiNet's per-channel scales
 * ({@link dev.thinet4j.reconstruction.ScaleReconstruction}) and a full weight refit
 * ({@link dev.thinet4j.reconstruction.FullReconstruction}).
 */
package dev.thinet4j.reconstruction;
