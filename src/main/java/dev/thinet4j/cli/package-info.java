/** The {@code bin/thinet4j} command line: one class per sub-command. */
package dev.thinet4j.cli;
