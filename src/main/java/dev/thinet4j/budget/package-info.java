/**
 * Budgeted pruning. {@link dev.thinet4j.budget.SensitivityAnalysis} prunes each candidate layer alone at a grid of
 * ratios and measures the damage on held-out images (a {@link dev.thinet4j.budget.SensitivityTable}, written as CSV
 * and as an HTML chart); {@link dev.thinet4j.budget.BudgetSolver} chooses per-layer ratios that keep a given fraction
 * of the MACs or parameters ({@link dev.thinet4j.budget.BudgetTarget}) with the least predicted damage (by default
 * the squared logit error, {@link dev.thinet4j.budget.Damage}), as a
 * {@link dev.thinet4j.budget.BudgetPlan} that the pruner runs as a policy. {@link dev.thinet4j.budget.Budget} ties
 * them together; {@link dev.thinet4j.budget.DataSplit} draws disjoint calibration and held-out images.
 */
package dev.thinet4j.budget;
