// jobNotify sends one notification with jobnotify send, on Unix (sh) and
// Windows (bat) agents alike:
//
//   jobNotify status: 'SUCCESS', fields: [stage: 'deploy']
//
// No value the pipeline gives ever enters the command line: the command is
// fixed text, the status, target and switches go to jobnotify through its
// JOBNOTIFY_* variables (withEnv), and the body is written to a file of
// its own that jobnotify reads (--body @FILE). So a status or a field with
// quotes, $, %, & or a newline means nothing to sh or cmd.
//
// The credential is bound here only, around the jobnotify process alone
// (withJobNotifyCredential below): the steps of a withJobNotify block, and
// writing the body, run without it.
//
// Returns jobnotify's exit status: 0 delivered (or soft-failed), 1 not
// delivered under failure: 'warn' or 'unstable'.

import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic

def call(Map args = [:]) {
    checkArgs('jobNotify', args, ['status', 'body', 'fields', 'target', 'on', 'previousStatus', 'credentialsId',
                                  'tokenVariable', 'softFail', 'failure', 'idFromBuild'])
    String status = args.status != null ? args.status.toString() : currentBuild.currentResult?.toString()
    if (!status?.trim()) {
        error('jobnotify: jobNotify: no status, and currentBuild.currentResult is empty')
    }
    // What a failed delivery (exit 1) does to the build.
    String failure = args.failure != null ? args.failure.toString() : 'warn'
    if (!(failure in ['warn', 'unstable', 'fail'])) {
        error("jobnotify: jobNotify: failure: '${failure}' is not warn, unstable or fail")
    }
    String tokenVariable = tokenVariableOf('jobNotify', args)
    String credentialsId = credentialsIdOf(args)
    Boolean softFail = flag('jobNotify', args, 'softFail', null)
    boolean idFromBuild = flag('jobNotify', args, 'idFromBuild', false)

    List<String> vars = ['JOBNOTIFY_STATUS=' + status] + routeVars('jobNotify', args)
    if (softFail != null) {
        vars << 'JOBNOTIFY_SOFT_FAIL=' + softFail
    }
    if (idFromBuild) {
        // The same as --id-from build: the id is derived from the build,
        // stage, status, target and body, so a retry {} around this step
        // resends the same id. A variable rather than the flag: a binary
        // that does not know it yet still sends (with a random id).
        vars << 'JOBNOTIFY_ID_FROM=build'
    }

    String text = bodyText('jobNotify', args.body, args.fields)
    // A directory of this call's own, in the current directory, holding
    // only the body: deleteDir() inside dir() removes it and nothing else,
    // with no process to start and the same on Unix and Windows. The name
    // is fixed but for a random UUID, so the command line stays fixed text.
    String dirName = '.jobnotify-' + UUID.randomUUID().toString()
    String sendArgs = text == null ? 'send' : 'send --body @' + dirName + '/body.json'
    int rc = -1
    try {
        if (text != null) {
            dir(dirName) {
                writeFile(file: 'body.json', text: text, encoding: 'UTF-8')
            }
        }
        withEnv(vars) {
            withJobNotifyCredential(credentialsId, tokenVariable) {
                if (isUnix()) {
                    rc = sh(script: 'jobnotify ' + sendArgs, returnStatus: true) as int
                } else {
                    // @ keeps cmd from echoing the line; jobnotify.exe is on the PATH.
                    rc = bat(script: '@jobnotify ' + sendArgs, returnStatus: true) as int
                }
            }
        }
    } finally {
        if (text != null) {
            dir(dirName) {
                deleteDir()
            }
        }
    }
    return outcome(rc, status, failure, softFail)
}

// withJobNotifyCredential runs body with the notification credential bound
// to tokenVariable (the name the administrator's config reads as
// ${NOTIFY_TOKEN}), or without one when credentialsId is null. It is the
// library's one withCredentials, and call (and jobNotifyRun's) runs only
// the jobnotify step in it. (Not marked private: Groovy does not enforce
// that in a script, so it would only pretend; jobNotifyRun calls it.)
void withJobNotifyCredential(String credentialsId, String tokenVariable, Closure body) {
    if (credentialsId == null) {
        body()
        return
    }
    withCredentials([string(credentialsId: credentialsId, variable: tokenVariable)]) {
        body()
    }
}

// outcome turns jobnotify's exit status into what the build sees.
int outcome(int rc, String status, String failure, Boolean softFail) {
    switch (rc) {
        case 0:
            return 0
        case 1:
            String msg = "jobnotify: the ${status} notification was not delivered (exit 1; see the lines above)"
            if (failure == 'fail') {
                error(msg)
            } else if (failure == 'unstable') {
                unstable(msg)
            } else {
                echo('WARNING: ' + msg)
            }
            return 1
        case 2:
            // Bad usage, config or input: nothing was sent and nothing will
            // be until someone fixes it. Under soft fail jobnotify exits 0
            // for a config error, so a 2 here is the call itself.
            error('jobnotify: bad usage, config or input (exit 2), nothing was sent; see the lines above')
            return 2
        case 130:
        case 143:
            error("jobnotify: interrupted (exit ${rc}): the build is being aborted")
            return rc
        default:
            // 127 (sh) or 9009 (cmd): no jobnotify on the agent's PATH.
            String msg = "jobnotify: did not run (exit ${rc}; 127 or 9009 mean it is not on the agent's PATH)"
            if (softFailing(softFail)) {
                echo('WARNING: ' + msg)
                return rc
            }
            error(msg)
            return rc
    }
}

// The helpers below are shared with jobNotifyRun, which calls them as
// jobNotify.NAME(...); step is the name of the step their errors name.

// checkArgs fails when args holds an argument that is not in known, so
// that a typo (feilds:) does not silently drop what it meant.
void checkArgs(String step, Map args, List<String> known) {
    List<String> unknown = []
    for (key in args.keySet()) {
        if (!(key in known)) {
            unknown << key.toString()
        }
    }
    if (unknown) {
        error("jobnotify: ${step}: unknown argument ${unknown.join(', ')} (known: ${known.join(', ')})")
    }
}

// routeVars are the variables of where a notification goes and when:
// target and on (each a String, comma-separated, or a List), and the
// previous build's result, which on's changed, fixed, regression and
// still-failing compare with: previousStatus when given, else
// currentBuild.previousBuild's (none on a first build).
List<String> routeVars(String step, Map args) {
    List<String> vars = []
    String target = names(step, 'target', args.target)
    if (target != null) {
        vars << 'JOBNOTIFY_TARGET=' + target
    }
    String on = names(step, 'on', args.on)
    if (on != null) {
        vars << 'JOBNOTIFY_ON=' + on
    }
    def previous = args.containsKey('previousStatus') ? args.previousStatus : currentBuild.previousBuild?.result
    if (previous != null) {
        vars << 'JOBNOTIFY_PREVIOUS_STATUS=' + previous.toString()
    }
    return vars
}

// names is a String as given, or a List's items joined with commas.
String names(String step, String arg, value) {
    if (value == null || value instanceof CharSequence) {
        return value?.toString()
    }
    if (value instanceof Collection) {
        return value.collect { it.toString().trim() }.join(',')
    }
    error("jobnotify: ${step}: ${arg}: want a String or a List")
    return null
}

// tokenVariableOf is the variable the credential is bound to.
String tokenVariableOf(String step, Map args) {
    String tokenVariable = args.tokenVariable != null ? args.tokenVariable.toString() : 'NOTIFY_TOKEN'
    if (!(tokenVariable ==~ /[A-Za-z_][A-Za-z0-9_]*/)) {
        error("jobnotify: ${step}: tokenVariable: '${tokenVariable}' is not a variable name")
    }
    return tokenVariable
}

// credentialsIdOf is the credential to bind, or null for none.
// credentialsId: null (given as null) binds nothing even when
// JOBNOTIFY_CREDENTIALS_ID is set.
String credentialsIdOf(Map args) {
    def credentialsId = args.containsKey('credentialsId') ? args.credentialsId : env.JOBNOTIFY_CREDENTIALS_ID
    return credentialsId?.toString()?.trim() ?: null
}

// softFailing tells whether a failure at send time is only a warning:
// softFail when given, else the build's JOBNOTIFY_SOFT_FAIL.
boolean softFailing(Boolean softFail) {
    if (softFail != null) {
        return softFail
    }
    return (env.JOBNOTIFY_SOFT_FAIL ?: '').toLowerCase() in ['1', 'true', 't', 'yes']
}

// bodyText is the text of the body file, or null for no body. A Map is a
// JSON object; fields are merged into it (a field wins over a body key of
// the same name). A String without fields is sent as it is, read by
// jobnotify's own rule (a JSON object is merged into the payload, other
// text becomes {"message": TEXT}); with fields, the same rule is applied
// here so that the fields can join it.
String bodyText(String step, body, fields) {
    if (fields != null && !(fields instanceof Map)) {
        error("jobnotify: ${step}: fields must be a Map of name to value")
    }
    if (body != null && !(body instanceof Map) && !(body instanceof CharSequence)) {
        error("jobnotify: ${step}: body must be a String or a Map")
    }
    boolean hasFields = fields != null && !fields.isEmpty()
    if (body == null && !hasFields) {
        return null
    }
    if (body instanceof CharSequence && !hasFields) {
        return body.toString()
    }
    Map object = new LinkedHashMap()
    if (body instanceof Map) {
        object.putAll(body)
    } else if (body != null) {
        String text = body.toString()
        def parsed = parseJSON(text)
        if (parsed instanceof Map) {
            object.putAll(parsed)
        } else if (parsed == null && (text.trim().startsWith('{') || text.trim().startsWith('['))) {
            error("jobnotify: ${step}: body: text that starts with { or [ must be valid JSON")
        } else {
            object.put('message', text)
        }
    }
    if (hasFields) {
        object.putAll(fields)
    }
    return JsonOutput.toJson(object)
}

// parseJSON is text's JSON value, or null when it is not JSON.
// JsonSlurperClassic makes plain HashMaps and ArrayLists, which a Pipeline
// can keep across steps (JsonSlurper's lazy maps it cannot).
def parseJSON(String text) {
    try {
        return new JsonSlurperClassic().parseText(text)
    } catch (Exception ignored) {
        return null
    }
}

// flag is the Boolean argument name (true, false, 'true' or 'false'), or
// dflt when it is not given.
Boolean flag(String step, Map args, String name, Boolean dflt) {
    def v = args[name]
    if (v == null) {
        return dflt
    }
    if (v instanceof Boolean) {
        return v
    }
    if (v.toString() == 'true' || v.toString() == 'false') {
        return v.toString() == 'true'
    }
    error("jobnotify: ${step}: ${name}: '${v}' is not true or false")
    return dflt
}
