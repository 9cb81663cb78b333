package dev.thinet4j.cli;

import dev.thinet4j.data.DataOptions;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.Normalization;
import dev.thinet4j.model.Network;

import java.nio.file.Path;

/** The data options shared by every command that reads images. */
final class DataArgs {
    private DataArgs() {
    }

    static DataOptions options(CliArgs args, String command) {
        DataOptions.Builder b = DataOptions.builder();
        String mean = args.get("mean").orElse(null);
        String std = args.get("std").orElse(null);
        if ((mean == null) != (std == null)) {
            throw new UsageException(command + ": --mean and --std go together");
        }
        if (mean != null) {
            b.normalization(Normalization.parse(mean, std));
        }
        args.get("resize").ifPresent(v -> b.resize(parsePositive(v, "resize", command)));
        args.get("crop").ifPresent(v -> b.crop(parsePositive(v, "crop", command)));
        return b.build();
    }

    private static int parsePositive(String v, String key, String command) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new UsageException(command + ": --" + key + " expects a positive integer, got '" + v + "'");
    }

    /** The data's C×H×W must be what the model takes. */
    static void checkMatches(ImageSource source, Network net, Path dataPath) {
        var in = net.input();
        if (source.channels() != in.channels() || source.height() != in.height() || source.width() != in.width()) {
            throw new IllegalArgumentException("data " + dataPath + " has images " + source.channels() + "x"
                    + source.height() + "x" + source.width() + " but model input '" + in.name() + "' expects "
                    + in.channels() + "x" + in.height() + "x" + in.width());
        }
    }
}
