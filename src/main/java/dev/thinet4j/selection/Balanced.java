package dev.thinet4j.selection;

/**
 * Block-balanced choice of channels (for groups that pass through grouped convs): C channels form B
 * contiguous blocks of C/B (block of channel c = ⌊c / (C/B)⌋), and a removal of n channels (n a multiple of B)
 * takes exactly n/B from every block.
 */
final class Balanced {
    private Balanced() {
    }

    /**
     * Walks a preference order and takes each channel whose block has not yet given its quota n/B, until n are
     * taken.
     *
     * @param order     channels, most preferred first; every channel 0 … C−1 should appear (missing ones are
     *                  never taken). Not modified.
     * @param channels  C
     * @param blocks    B, dividing C
     * @param numRemove n, a multiple of B with n/B &lt; C/B
     * @return the n channels taken, in the order taken
     * @throws IllegalArgumentException when the order does not fill every block's quota
     */
    static int[] fill(int[] order, int channels, int blocks, int numRemove) {
        int size = channels / blocks;
        int quota = numRemove / blocks;
        int[] count = new int[blocks];
        int[] out = new int[numRemove];
        int k = 0;
        for (int c : order) {
            if (k == numRemove) {
                break;
            }
            int b = c / size;
            if (count[b] < quota) {
                count[b]++;
                out[k++] = c;
            }
        }
        if (k != numRemove) {
            throw new IllegalArgumentException("the preference order of " + order.length + " channels fills only " + k
                    + " of " + numRemove + " balanced removals over " + blocks + " blocks");
        }
        return out;
    }

    /** Whether channel {@code c} may still be taken: its block has fewer than quota taken. */
    static boolean open(int[] count, int c, int size, int quota) {
        return count[c / size] < quota;
    }
}
