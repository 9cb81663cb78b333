package dev.thinet4j.cli;

/** A mistake in the command line: printed as one line, exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
