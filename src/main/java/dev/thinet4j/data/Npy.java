package dev.thinet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The NumPy {@code .npy} header: the magic {@code 93 'NUMPY'}, a major and minor version byte, the
 * header length (2 bytes little-endian for version 1, 4 bytes for versions 2 and 3), then a Python
 * dict literal with the keys {@code descr}, {@code fortran_order} and {@code shape}.
 */
final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {
    }

    /** Element types understood by the readers (little-endian where it matters). */
    enum DType {
        F4(4), F8(8), U1(1), I1(1), I2(2), U2(2), I4(4), U4(4), I8(8), U8(8);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        boolean isFloat() {
            return this == F4 || this == F8;
        }
    }

    /** A parsed header; {@code dataOffset} is where the data starts. */
    record Header(int major, int minor, String descr, DType dtype, boolean fortranOrder, long[] shape,
                  long dataOffset) {
        long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        String shapeText() {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) {
                sb.append(i > 0 ? ", " : "").append(shape[i]);
            }
            return sb.append(shape.length == 1 ? ",)" : ")").toString();
        }
    }

    static boolean hasMagic(byte[] head) {
        return head.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC);
    }

    /** Reads the header of an NPY stream positioned at its start. */
    static Header read(InputStream in, Path file) throws IOException {
        byte[] pre = new byte[8];
        int got = DataStreams.readUpTo(in, pre, 0, 8);
        if (got < MAGIC.length || !hasMagic(pre)) {
            throw new InvalidDataException(file, "not an NPY file: expected the magic 93 4E 55 4D 50 59"
                    + " (\\x93NUMPY) at offset 0, found " + (got == 0 ? "an empty file" : DataStreams.hex(pre, got)));
        }
        if (got < 8) {
            throw new InvalidDataException(file, "truncated: the file ends inside the NPY version bytes");
        }
        int major = pre[6] & 0xFF;
        int minor = pre[7] & 0xFF;
        if (major < 1 || major > 3) {
            throw new InvalidDataException(file, "NPY format version " + major + "." + minor
                    + " at offset 6 is not supported; expected 1.0, 2.0 or 3.0");
        }
        int lenBytes = major == 1 ? 2 : 4;
        byte[] lenBuf = new byte[lenBytes];
        if (DataStreams.readUpTo(in, lenBuf, 0, lenBytes) < lenBytes) {
            throw new InvalidDataException(file, "truncated: the file ends inside the NPY header length at offset 8");
        }
        long headerLen = 0;
        for (int i = lenBytes - 1; i >= 0; i--) {
            headerLen = (headerLen << 8) | (lenBuf[i] & 0xFF);
        }
        if (headerLen > (1 << 24)) {
            throw new InvalidDataException(file, "NPY header length " + headerLen + " at offset 8 is implausible");
        }
        byte[] text = new byte[(int) headerLen];
        int gotText = DataStreams.readUpTo(in, text, 0, text.length);
        if (gotText < text.length) {
            throw new InvalidDataException(file, "truncated: the NPY header declares " + headerLen
                    + " bytes at offset " + (8 + lenBytes) + " but the file ends after " + gotText + " of them");
        }
        String header = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Object parsed;
        try {
            parsed = new LiteralParser(header).parseAll();
        } catch (IllegalArgumentException e) {
            throw new InvalidDataException(file, "malformed NPY header " + quote(header) + ": " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw new InvalidDataException(file, "NPY header " + quote(header) + " is not a dict");
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shapeObj = dict.get("shape");
        if (!(descr instanceof String d)) {
            throw new InvalidDataException(file, "NPY header " + quote(header) + ": 'descr' must be a dtype string"
                    + " such as '<f4', found " + describe(descr));
        }
        if (!(fortran instanceof Boolean f)) {
            throw new InvalidDataException(file, "NPY header " + quote(header) + ": 'fortran_order' must be True or "
                    + "False, found " + describe(fortran));
        }
        if (!(shapeObj instanceof List<?> list)) {
            throw new InvalidDataException(file, "NPY header " + quote(header) + ": 'shape' must be a tuple of "
                    + "integers, found " + describe(shapeObj));
        }
        long[] shape = new long[list.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw new InvalidDataException(file, "NPY header " + quote(header) + ": shape entry " + i
                        + " must be a non-negative integer, found " + describe(list.get(i)));
            }
            shape[i] = v;
        }
        DType dtype = dtype(d, file);
        return new Header(major, minor, d, dtype, f, shape, 8 + lenBytes + headerLen);
    }

    private static DType dtype(String descr, Path file) {
        if (descr.length() < 3) {
            throw new InvalidDataException(file, "NPY dtype '" + descr + "' is not understood");
        }
        char order = descr.charAt(0);
        String code = descr.substring(1);
        DType t = switch (code) {
            case "f4" -> DType.F4;
            case "f8" -> DType.F8;
            case "u1" -> DType.U1;
            case "i1" -> DType.I1;
            case "i2" -> DType.I2;
            case "u2" -> DType.U2;
            case "i4" -> DType.I4;
            case "u4" -> DType.U4;
            case "i8" -> DType.I8;
            case "u8" -> DType.U8;
            default -> null;
        };
        if (t == null || "<>|=".indexOf(order) < 0) {
            throw new InvalidDataException(file, "NPY dtype '" + descr + "' is not supported; expected one of"
                    + " '<f4', '<f8', '|u1', '|i1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8'");
        }
        if (order == '>' && t.bytes > 1) {
            throw new InvalidDataException(file, "NPY dtype '" + descr + "' is big-endian; only little-endian data"
                    + " is supported (convert with arr.astype('<" + code + "'))");
        }
        return t;
    }

    private static String quote(String header) {
        String s = header.strip();
        return "\"" + (s.length() > 200 ? s.substring(0, 200) + "..." : s) + "\"";
    }

    private static String describe(Object o) {
        if (o == null) {
            return "nothing";
        }
        if (o instanceof String s) {
            return "'" + s + "'";
        }
        return o.toString();
    }

    /**
     * Parser for the subset of Python literals found in NPY headers: dicts, tuples, lists, strings,
     * integers, True, False and None.
     */
    static final class LiteralParser {
        /** Deepest nesting of dicts, tuples and lists accepted (real headers nest two deep). */
        static final int MAX_DEPTH = 32;

        private final String s;
        private int i;
        private int depth;

        LiteralParser(String s) {
            this.s = s;
        }

        Object parseAll() {
            Object v = value();
            skipSpace();
            if (i != s.length()) {
                throw new IllegalArgumentException("unexpected '" + s.charAt(i) + "' at character " + i);
            }
            return v;
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException error(String expected) {
            return new IllegalArgumentException("expected " + expected + " at character " + i + ", found "
                    + (i < s.length() ? "'" + s.charAt(i) + "'" : "the end"));
        }

        private Object value() {
            skipSpace();
            if (i >= s.length()) {
                throw error("a value");
            }
            char c = s.charAt(i);
            if (c == '{' || c == '(' || c == '[') {
                if (++depth > MAX_DEPTH) {
                    throw new IllegalArgumentException("containers nested more than " + MAX_DEPTH
                            + " deep at character " + i);
                }
                Object v = c == '{' ? dict() : sequence(c == '(' ? ')' : ']');
                depth--;
                return v;
            }
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '-' || c == '+' || Character.isDigit(c)) {
                return integer();
            }
            if (Character.isLetter(c)) {
                int start = i;
                while (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) {
                    i++;
                }
                String word = s.substring(start, i);
                return switch (word) {
                    case "True" -> Boolean.TRUE;
                    case "False" -> Boolean.FALSE;
                    case "None" -> null;
                    default -> {
                        i = start;
                        throw error("True, False, None, a number, a string, a tuple or a dict");
                    }
                };
            }
            throw error("a value");
        }

        private Map<String, Object> dict() {
            Map<String, Object> map = new LinkedHashMap<>();
            i++; // {
            while (true) {
                skipSpace();
                if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    return map;
                }
                Object key = value();
                if (!(key instanceof String k)) {
                    throw new IllegalArgumentException("dict key " + key + " is not a string");
                }
                skipSpace();
                if (i >= s.length() || s.charAt(i) != ':') {
                    throw error("':'");
                }
                i++;
                map.put(k, value());
                skipSpace();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                } else if (i >= s.length() || s.charAt(i) != '}') {
                    throw error("',' or '}'");
                }
            }
        }

        private List<Object> sequence(char close) {
            List<Object> list = new ArrayList<>();
            i++;
            while (true) {
                skipSpace();
                if (i < s.length() && s.charAt(i) == close) {
                    i++;
                    return list;
                }
                list.add(value());
                skipSpace();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                } else if (i >= s.length() || s.charAt(i) != close) {
                    throw error("',' or '" + close + "'");
                }
            }
        }

        private String string() {
            char quote = s.charAt(i++);
            StringBuilder sb = new StringBuilder();
            while (i < s.length() && s.charAt(i) != quote) {
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length()) {
                    c = s.charAt(i++);
                }
                sb.append(c);
            }
            if (i >= s.length()) {
                throw error("a closing " + quote);
            }
            i++;
            return sb.toString();
        }

        private Long integer() {
            int start = i;
            if (s.charAt(i) == '-' || s.charAt(i) == '+') {
                i++;
            }
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            String digits = s.substring(start, i);
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) {
                i++; // Python 2 long suffix
            }
            try {
                return Long.parseLong(digits.startsWith("+") ? digits.substring(1) : digits);
            } catch (NumberFormatException e) {
                i = start;
                throw error("an integer");
            }
        }
    }
}
