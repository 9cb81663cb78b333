package dev.thinet4j.surgery;

/** A pruning request the graph cannot honour; the message names the node and the reason. */
public class PruningException extends IllegalArgumentException {
    public PruningException(String message) {
        super(message);
    }
}
