// withJobNotify sends STARTED, runs the block, then sends how it ended:
//
//   withJobNotify(fields: [stage: 'deploy']) {
//       sh './deploy.sh prod'
//   }
//
// SUCCESS when the block returns (or the build's result so far when that
// is worse, such as UNSTABLE); ABORTED when it was interrupted (an abort,
// a timeout, a rejected input); FAILURE when it threw anything else, which
// is then thrown on. Both sends get the same arguments, those of jobNotify
// but status. Returns what the block returned.
//
// The block runs without the notification credential: jobNotify binds it
// around its jobnotify process only.

def call(Map args = [:], Closure body) {
    if (args.containsKey('status')) {
        error('jobnotify: withJobNotify: status is not an argument: it sends STARTED, then the outcome')
    }
    jobNotify(args + [status: 'STARTED'])
    def result
    try {
        result = body()
    } catch (Throwable e) {
        String outcome = interrupted(e) ? 'ABORTED' : 'FAILURE'
        try {
            jobNotify(args + [status: outcome])
        } catch (Throwable sendError) {
            // The block's error is the one that matters; the failed
            // notification has said why already.
            echo("jobnotify: the ${outcome} notification failed too: ${sendError}")
        }
        throw e
    }
    jobNotify(args + [status: worse('SUCCESS', currentBuild.currentResult?.toString())])
    return result
}

// interrupted tells whether e is Pipeline's FlowInterruptedException (or a
// subclass), named rather than imported so that this file compiles without
// Jenkins.
boolean interrupted(Throwable e) {
    for (Class c = e.getClass(); c != null; c = c.getSuperclass()) {
        if (c.getName() == 'org.jenkinsci.plugins.workflow.steps.FlowInterruptedException') {
            return true
        }
    }
    return false
}

// worse is the worse of two build results, in Jenkins's order; an unknown
// one does not count.
String worse(String a, String b) {
    List<String> order = ['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']
    return order.indexOf(b) > order.indexOf(a) ? b : a
}
