import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.utils.Exit;

/**
 * Runs several of Kafka's CLI tools, one after the other, in one JVM: a JVM start costs seconds on
 * a busy machine, and a tool invocation after the first costs milliseconds. Each tool's main class
 * runs with its own arguments, stdin, and captured stdout and stderr; its exit code is what it
 * passes to Kafka's Exit.exit first (Kafka's own tool tests intercept exits the same way, with
 * Exit.setExitProcedure), or 0 when main returns, or 1 when an exception escapes main.
 *
 * stdin: a JSON array of {"main": class, "args": [..], "input": text, "timeoutMs": n}.
 * stdout: one line per invocation, in order, as it ends: RESULT_PREFIX followed by JSON
 * {"index", "code", "stdout", "stderr", "ms", "timedOut", "error"}.
 */
public final class ToolBatch {
  static final String RESULT_PREFIX = "@@tool-result ";

  /** Thrown from Exit.exit so a tool's main ends instead of the JVM. An Error, so that `catch (Exception e)` in a tool lets it pass. */
  static final class ToolExit extends Error {
    final int code;

    ToolExit(int code) {
      super("exit " + code, null, false, false);
      this.code = code;
    }
  }

  /**
   * A tool's captured output. The first Exit.exit ends a real tool's process at once, so what the
   * tool writes after it (e.g. a catch-all handler reporting the ToolExit) is dropped.
   */
  static final class Capture extends OutputStream {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    volatile boolean closed;

    @Override
    public synchronized void write(int b) {
      if (!closed) bytes.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      if (!closed) bytes.write(b, off, len);
    }

    synchronized String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  /** The invocation running now: its output, and the code of its first Exit.exit. */
  static volatile Capture currentOut;
  static volatile Capture currentErr;
  static final AtomicReference<Integer> firstExit = new AtomicReference<>(null);

  static void exit(int code) {
    if (firstExit.compareAndSet(null, code)) {
      System.out.flush();
      System.err.flush();
      Capture o = currentOut;
      Capture e = currentErr;
      if (o != null) o.closed = true;
      if (e != null) e.closed = true;
    }
    throw new ToolExit(code);
  }

  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode batch = json.readTree(System.in.readAllBytes());
    PrintStream out = System.out;
    PrintStream err = System.err;
    InputStream in = System.in;
    Exit.setExitProcedure((code, message) -> exit(code));
    Exit.setHaltProcedure((code, message) -> exit(code));
    // Hooks registered by a tool would run only at JVM exit, long after the tool ended.
    Exit.setShutdownHookAdder((name, hook) -> {});

    for (int i = 0; i < batch.size(); i++) {
      JsonNode inv = batch.get(i);
      String mainClass = inv.get("main").asText();
      List<String> toolArgs = new ArrayList<>();
      for (JsonNode a : inv.get("args")) toolArgs.add(a.asText());
      String input = inv.hasNonNull("input") ? inv.get("input").asText() : "";
      long timeoutMs = inv.hasNonNull("timeoutMs") ? inv.get("timeoutMs").asLong() : 60_000;

      Capture toolOut = new Capture();
      Capture toolErr = new Capture();
      currentOut = toolOut;
      currentErr = toolErr;
      firstExit.set(null);
      System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
      System.setOut(new PrintStream(toolOut, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(toolErr, true, StandardCharsets.UTF_8));

      AtomicReference<Integer> code = new AtomicReference<>(null);
      AtomicReference<String> error = new AtomicReference<>(null);
      Thread thread = new Thread(() -> {
        try {
          Method main = Class.forName(mainClass).getMethod("main", String[].class);
          main.invoke(null, (Object) toolArgs.toArray(new String[0]));
          code.set(0);
        } catch (InvocationTargetException e) {
          Throwable cause = e.getCause();
          if (cause instanceof ToolExit) {
            code.set(((ToolExit) cause).code);
          } else {
            // What the JVM would do with an uncaught exception from main: print it, exit 1.
            cause.printStackTrace();
            error.set(String.valueOf(cause));
            code.set(1);
          }
        } catch (ToolExit e) {
          code.set(e.code);
        } catch (Throwable e) {
          error.set(String.valueOf(e));
          code.set(1);
        }
      }, "tool-" + i);
      thread.setDaemon(true);
      long start = System.nanoTime();
      thread.start();
      thread.join(timeoutMs);
      boolean timedOut = thread.isAlive();
      if (timedOut) thread.interrupt();

      System.out.flush();
      System.err.flush();
      System.setOut(out);
      System.setErr(err);
      System.setIn(in);

      Map<String, Object> result = new LinkedHashMap<>();
      result.put("index", i);
      Integer exited = firstExit.get();
      result.put("code", timedOut ? null : exited != null ? exited : code.get());
      result.put("stdout", toolOut.text());
      result.put("stderr", toolErr.text());
      result.put("ms", (System.nanoTime() - start) / 1_000_000);
      result.put("timedOut", timedOut);
      result.put("error", error.get());
      out.println(RESULT_PREFIX + json.writeValueAsString(result));
      out.flush();
    }
    // Client threads a tool left behind must not keep the JVM alive.
    System.exit(0);
  }
}
