package dev.thinet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The IDX header (the MNIST format): two zero bytes, an element-type byte, a dimension-count byte,
 * then one big-endian 32-bit size per dimension; the data follows in row-major order.
 */
final class Idx {
    static final int TYPE_UBYTE = 0x08;

    private Idx() {
    }

    /** A parsed header; {@code dataOffset} is where the data starts. */
    record Header(int type, int[] dims, int dataOffset) {
        long elementCount() {
            long n = 1;
            for (int d : dims) {
                n *= d;
            }
            return n;
        }
    }

    static String typeName(int type) {
        return switch (type) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "int16";
            case 0x0C -> "int32";
            case 0x0D -> "float32";
            case 0x0E -> "float64";
            default -> "unknown";
        };
    }

    /** Whether the first bytes look like an IDX header. */
    static boolean looksLikeIdx(byte[] head) {
        return head.length >= 4 && head[0] == 0 && head[1] == 0
                && !typeName(head[2] & 0xFF).equals("unknown") && head[3] >= 1 && head[3] <= 8;
    }

    /**
     * Reads the header of an IDX stream positioned at its start.
     *
     * @param what "images" or "labels", for messages
     */
    static Header read(InputStream in, Path file, String what) throws IOException {
        byte[] magic = new byte[4];
        int got = DataStreams.readUpTo(in, magic, 0, 4);
        if (got < 4) {
            throw new InvalidDataException(file, "not an IDX " + what + " file: it has only " + got
                    + " byte(s), expected a 4-byte magic number");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new InvalidDataException(file, "not an IDX " + what + " file: magic number starts with "
                    + DataStreams.hex(magic, 2) + " at offset 0, expected 00 00");
        }
        int type = magic[2] & 0xFF;
        int ndims = magic[3] & 0xFF;
        if (ndims < 1) {
            throw new InvalidDataException(file, "IDX header at offset 3: dimension count is 0, expected >= 1");
        }
        byte[] sizes = new byte[4 * ndims];
        got = DataStreams.readUpTo(in, sizes, 0, sizes.length);
        if (got < sizes.length) {
            throw new InvalidDataException(file, "truncated: the IDX header declares " + ndims
                    + " dimensions (" + (4 + sizes.length) + " header bytes) but the file ends after "
                    + (4 + got) + " bytes");
        }
        int[] dims = new int[ndims];
        for (int i = 0; i < ndims; i++) {
            int d = ((sizes[4 * i] & 0xFF) << 24) | ((sizes[4 * i + 1] & 0xFF) << 16)
                    | ((sizes[4 * i + 2] & 0xFF) << 8) | (sizes[4 * i + 3] & 0xFF);
            if (d < 0) {
                throw new InvalidDataException(file, "IDX header at offset " + (4 + 4 * i) + ": size of dimension "
                        + i + " is " + Integer.toUnsignedString(d) + ", which is too large");
            }
            dims[i] = d;
        }
        return new Header(type, dims, 4 + 4 * ndims);
    }

    /** Magic number as 8 hex digits, e.g. {@code 0x00000803}. */
    static String magic(int type, int ndims) {
        return String.format("0x0000%02X%02X", type, ndims);
    }
}
