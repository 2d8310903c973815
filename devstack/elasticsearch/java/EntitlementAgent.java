/*
 * Stand-in for Elasticsearch's entitlement agent jar (lib/entitlement-agent/), which
 * Elastic does not publish on Maven Central. assemble() compiles this file into that
 * directory.
 *
 * During startup the server attaches this agent to its own JVM
 * (EntitlementBootstrap.loadAgent) and passes the name of its initialization class as
 * the agent argument. The agent's only job is to hand the Instrumentation instance
 * to that class's public static initialize(Instrumentation) method, which installs
 * the bytecode checks. The upstream agent
 * (libs/entitlement/agent/.../EntitlementAgent.java) does the same.
 */
import java.lang.instrument.Instrumentation;

public final class EntitlementAgent {
    private static final String DEFAULT_INIT_CLASS =
        "org.elasticsearch.entitlement.initialization.EntitlementInitialization";

    private EntitlementAgent() {}

    public static void agentmain(String agentArgs, Instrumentation inst) throws Exception {
        String initClass = (agentArgs == null || agentArgs.isEmpty()) ? DEFAULT_INIT_CLASS : agentArgs;
        Class.forName(initClass).getMethod("initialize", Instrumentation.class).invoke(null, inst);
    }
}
