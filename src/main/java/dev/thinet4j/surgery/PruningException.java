package dev.thinet4j.surgery;

/** A pruning request the graph cannot honour; the message names the node and the reason. */
public class PruningException extends IllegalArgumentException {
    /**
     * @param message what cannot be pruned and why, naming the node
     */
    public PruningException(String message) {
        super(message);
    }
}
