/**
 * The layer-by-layer pruner ({@link dev.thinet4j.pruner.ThiNetPruner}): sample, select, thin,
 * reconstruct, fine-tune, report — with pluggable fine-tuning and progress listeners.
 */
package dev.thinet4j.pruner;
