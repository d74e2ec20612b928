package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vlmo.model.MklOnAmd.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The preloaded library that lets MKL use its fast kernels on AMD CPUs: when it is needed, that the
 * launcher's helper builds it, that MKL then picks its AVX kernels (MKL_VERBOSE names the
 * instruction set it dispatched to) and still multiplies correctly, and that a JVM without it is
 * warned.
 */
class MklOnAmdTest {

    private static final String AMD =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: avx2\n";
    private static final String INTEL =
            "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: avx2\n";
    private static final String TORCH =
            "7f00-7f01 r-xp 00000000 08:01 12 .djl.ai/pytorch/2.7.1-cpu/libtorch_cpu.so\n";
    private static final String SHIM =
            "7f02-7f03 r-xp 00000000 08:01 13 target/native/libvlmo-mkl-amd.so\n";
    // the file was rebuilt while the process ran
    private static final String SHIM_REPLACED =
            "7f02-7f03 r-xp 00000000 08:01 13 target/native/libvlmo-mkl-amd.so (deleted)\n";

    @Test
    void statusFollowsVendorLibtorchAndLibrary() {
        assertEquals(Status.MISSING, MklOnAmd.status(AMD, TORCH, null));
        assertEquals(Status.ACTIVE, MklOnAmd.status(AMD, TORCH + SHIM, null));
        assertEquals(Status.ACTIVE, MklOnAmd.status(AMD, SHIM + TORCH, ""));
        assertEquals(Status.ACTIVE, MklOnAmd.status(AMD, SHIM_REPLACED + TORCH, null));
        assertEquals(Status.NOT_NEEDED, MklOnAmd.status(INTEL, TORCH, null));
        // before the engine loaded libtorch, and with the user's own libtorch (maybe not MKL)
        assertEquals(Status.NOT_NEEDED, MklOnAmd.status(AMD, SHIM, null));
        assertEquals(Status.NOT_NEEDED, MklOnAmd.status(AMD, TORCH, "/usr/lib/torch/lib"));
        String w = MklOnAmd.warning(Status.MISSING);
        assertTrue(w.contains("LD_PRELOAD") && w.contains("mkl_amd.c") && w.contains("./vlmo"), w);
        assertNull(MklOnAmd.warning(Status.ACTIVE));
        assertNull(MklOnAmd.warning(Status.NOT_NEEDED));
    }

    private static String run(List<String> cmd, String preload)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("LD_PRELOAD");
        pb.environment().remove("VLMO_MKL_AMD");
        // DJL's own libtorch, the one with MKL inside
        pb.environment().remove("PYTORCH_LIBRARY_PATH");
        pb.environment().remove("PYTORCH_VERSION");
        pb.environment().remove("PYTORCH_FLAVOR");
        if (preload != null) {
            pb.environment().put("LD_PRELOAD", preload);
        }
        pb.environment().put("MKL_VERBOSE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    private static String probe(String preload) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String out =
                run(
                        List.of(
                                java,
                                "-Dai.djl.offline=true",
                                "-cp",
                                System.getProperty("java.class.path"),
                                MklProbe.class.getName()),
                        preload);
        Matcher d = Pattern.compile("MAXDIFF=(\\S+)").matcher(out);
        assertTrue(d.find(), out);
        assertTrue(Double.parseDouble(d.group(1)) < 1e-3, "wrong product: " + out);
        return out;
    }

    @Test
    void launcherHelperBuildsTheLibraryAndMklUsesItsAvxKernels() throws Exception {
        String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        assumeTrue(
                System.getProperty("os.arch").equals("amd64")
                        && cpuinfo.contains("AuthenticAMD")
                        && cpuinfo.contains(" avx2"),
                "an AMD x86-64 CPU with AVX2 is needed");
        Path root = Checkout.root();
        String script =
                ". \"$1/model/src/main/native/native-env.sh\" && vlmo_mkl_amd \"$1\""
                        + " && echo \"LIB=$VLMO_MKL_AMD_LIB\"";
        String built = run(List.of("bash", "-c", script, "helper", root.toString()), null);
        Matcher lib = Pattern.compile("(?m)^LIB=(.*)$").matcher(built);
        assertTrue(lib.find(), built);
        assumeTrue(!lib.group(1).isEmpty(), "no C compiler to build the library: " + built);
        assertTrue(Files.isRegularFile(Path.of(lib.group(1))), built);

        String with = probe(lib.group(1));
        assertTrue(with.contains("STATUS=ACTIVE"), with);
        // MKL's header line names the instruction set it chose: AVX2 or AVX-512 with the library
        assertTrue(with.contains("Intel(R) Advanced Vector Extensions"), with);
        assertFalse(with.contains("WARNING: This AMD CPU"), with);

        String without = probe(null);
        assertTrue(without.contains("STATUS=MISSING"), without);
        assertFalse(without.contains("Intel(R) Advanced Vector Extensions"), without);
        assertTrue(without.contains("WARNING: This AMD CPU"), without);
    }
}
