import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs JUnit 5 test classes without Maven (the GPU machine may have neither Maven nor network):
 * {@code java -cp BUNDLE RunTests.java org.jqat.kernels.cuda.CudaKernelsTest ...}. Prints one line
 * per test ({@code PASS}, {@code FAIL}, {@code SKIP} with the reason) and a summary line
 * {@code tests: N passed, N failed, N skipped}; exits 1 when a test failed.
 */
public class RunTests {
    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        List<String> failed = new ArrayList<>();
        int[] counts = new int[3];
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest() || id.getSource().map(s -> s.toString().contains("ClassSource")).orElse(false)) {
                    counts[2]++;
                    out.printf(Locale.ROOT, "SKIP %s: %s%n", name(id), reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                if (!id.isTest() && r.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                    return;
                }
                switch (r.getStatus()) {
                    case SUCCESSFUL -> {
                        counts[0]++;
                        out.println("PASS " + name(id));
                    }
                    case ABORTED -> {
                        counts[2]++;
                        out.println("SKIP " + name(id) + ": " + r.getThrowable().map(Throwable::getMessage).orElse(""));
                    }
                    case FAILED -> {
                        counts[1]++;
                        Optional<Throwable> t = r.getThrowable();
                        String why = t.map(x -> x.getClass().getSimpleName() + ": " + x.getMessage()).orElse("");
                        failed.add(name(id) + ": " + why);
                        out.println("FAIL " + name(id) + ": " + why);
                        t.ifPresent(x -> x.printStackTrace(System.err));
                    }
                }
            }
        };
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (String c : args) {
            request.selectors(selectClass(c));
        }
        LauncherDiscoveryRequest req = request.build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(req, listener);
        out.printf(Locale.ROOT, "tests: %d passed, %d failed, %d skipped%n", counts[0], counts[1], counts[2]);
        System.exit(counts[1] > 0 ? 1 : 0);
    }

    private static String name(TestIdentifier id) {
        String source = id.getSource().map(Object::toString).orElse("");
        int c = source.indexOf("className = '");
        String cls = c >= 0 ? source.substring(c + 13, source.indexOf('\'', c + 13)) : "";
        cls = cls.substring(cls.lastIndexOf('.') + 1);
        return cls.isEmpty() ? id.getDisplayName() : cls + "." + id.getDisplayName();
    }
}
