/** Reports: what a pruning run did, with provenance to replay it, as CSV and text. */
package dev.thinet4j.report;
