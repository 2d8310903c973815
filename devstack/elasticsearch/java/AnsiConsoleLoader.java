/*
 * Stand-in for Elasticsearch's ANSI console tool (lib/tools/ansi-console/), which Elastic
 * does not publish on Maven Central. assemble() compiles this file into that directory.
 *
 * At startup the server loads this class by name (ConsoleLoader) to find a terminal for
 * its startup messages. Our node never has a terminal (its output goes to a log file),
 * and null is what the real loader returns in that case.
 */
package org.elasticsearch.io.ansi;

import java.util.function.Supplier;

public final class AnsiConsoleLoader implements Supplier<Object> {
    @Override
    public Object get() {
        return null;
    }
}
