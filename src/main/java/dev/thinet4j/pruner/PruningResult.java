package dev.thinet4j.pruner;

import dev.thinet4j.model.Network;
import dev.thinet4j.report.PruningReport;

/** The pruned network and the report of how it was made. */
public record PruningResult(Network network, PruningReport report) {
}
