package dev.thinet4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a command's output files before any work starts: no output may be one of the inputs or
 * another output, and each must go into an existing folder. A user's model or data is never
 * overwritten, and a bad path fails at once instead of after an hour of pruning.
 */
final class OutputPaths {
    private OutputPaths() {
    }

    /**
     * @param command the sub-command, for messages
     * @param outputs option name → output path (null paths are skipped)
     * @param inputs  option name → input path (null paths are skipped)
     * @throws UsageException naming both options when two paths are the same file, or the folder problem
     */
    static void check(String command, Map<String, Path> outputs, Map<String, Path> inputs) {
        List<Map.Entry<String, Path>> seen = new ArrayList<>();
        for (Map.Entry<String, Path> out : outputs.entrySet()) {
            Path p = out.getValue();
            if (p == null) {
                continue;
            }
            for (Map.Entry<String, Path> in : inputs.entrySet()) {
                if (in.getValue() != null && same(p, in.getValue())) {
                    throw new UsageException(command + ": --" + out.getKey() + " " + p + " is the input " + in.getKey()
                            + " (--" + in.getKey() + "); refusing to overwrite an input");
                }
            }
            for (Map.Entry<String, Path> other : seen) {
                if (same(p, other.getValue())) {
                    throw new UsageException(command + ": --" + out.getKey() + " and --" + other.getKey()
                            + " are the same file " + p + "; give each output its own name");
                }
            }
            seen.add(out);
            if (Files.isDirectory(p)) {
                throw new UsageException(command + ": --" + out.getKey() + " " + p + " is a folder; give a file name");
            }
            Path parent = p.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UsageException(command + ": --" + out.getKey() + " " + p + ": folder " + parent
                        + (Files.exists(parent) ? " is a file, not a folder" : " does not exist"));
            }
        }
    }

    private static boolean same(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall back to comparing names
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
