package dev.thinet4j.data;

import java.nio.file.Path;

/**
 * Thrown when image or label data is malformed: a bad magic number, an unsupported element type,
 * a truncated file, a non-finite value, images of mixed sizes and the like.
 *
 * <p>The message starts with the offending file (when there is one) and says what was expected and
 * what was found, for example {@code "t10k.idx: truncated: image 1999 (of 2000) is incomplete ..."}.
 * Plain I/O failures (file not found, permission denied) are reported as {@link java.io.IOException}
 * when opening a source and as {@link java.io.UncheckedIOException} while iterating it.
 */
public class InvalidDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The offending file as text, or {@code null} when the problem is not tied to a file. */
    private final String file;

    /**
     * @param file    the offending file, or {@code null}
     * @param message what was expected and what was found
     */
    public InvalidDataException(Path file, String message) {
        this(file, message, null);
    }

    /**
     * @param file    the offending file, or {@code null}
     * @param message what was expected and what was found
     * @param cause   the underlying exception, or {@code null}
     */
    public InvalidDataException(Path file, String message, Throwable cause) {
        super(file == null ? message : file + ": " + message, cause);
        this.file = file == null ? null : file.toString();
    }

    /** {@return the offending file, or {@code null} when the problem is not tied to a file} */
    public Path file() {
        return file == null ? null : Path.of(file);
    }
}
