// LibraryTest runs the shared library in jenkins/vars in plain Groovy,
// against stubs of the Pipeline steps it calls, and checks what those
// steps were given: the command line (fixed text, whatever the values),
// the environment, the body file and jobNotifyRun's script file, where the
// credential is bound, and what each exit status of jobnotify (or of the
// command it runs) does to the build.
//
//   groovy jenkins/test/LibraryTest.groovy jenkins/vars
//
// Prints one line per failed check and exits 1 if any failed. Run by
// TestJenkinsSharedLibrary (jenkins_test.go).

import groovy.json.JsonSlurper
import org.codehaus.groovy.runtime.InvokerHelper

// StepError is what the error step throws.
class StepError extends RuntimeException {
    StepError(String message) { super(message) }
}

// Fake is one build: the stubs of the steps, and what they were given.
class Fake {
    boolean unix = true
    List<Integer> codes = []          // exit statuses of successive sh/bat steps (0 when they run out)
    Closure onRun                     // called in each sh/bat step, before it returns
    List<Boolean> starts = []         // whether successive steps that run a jobNotifyRun script get to it (true when they run out)
    Map env = [:]                     // the build's env
    Map currentBuild = [currentResult: 'SUCCESS']

    List<Map> runs = []               // each sh/bat step: step, script, returnStatus, env, creds, cwd, files
    List<Map> writes = []             // each writeFile: path, text, encoding, creds
    List<String> deleted = []         // each deleteDir: the directory
    List<String> trace = []           // the steps, in order
    List<String> echoes = []
    List<String> unstables = []
    List<String> errors = []

    List<List<String>> envStack = []  // withEnv blocks in force
    List<Map> creds = []              // credentials bound now
    List<String> cwd = []             // dir blocks in force
    Map<String, String> files = [:]   // the workspace: path -> text

    String here() { cwd.join('/') }

    String path(String name) { here() ? here() + '/' + name : name }

    Map<String, String> envNow() {
        Map<String, String> m = [:]
        for (List<String> vars in envStack) {
            for (String kv in vars) {
                int i = kv.indexOf('=')
                m[kv.substring(0, i)] = kv.substring(i + 1)
            }
        }
        m
    }

    int run(String step, Map a) {
        assert a.keySet() == ['script', 'returnStatus'] as Set: "${step} given ${a.keySet()}"
        trace << step
        runs << [step: step, script: a.script, returnStatus: a.returnStatus, env: envNow(),
                 creds: creds.collect { new LinkedHashMap(it) }, cwd: here(), files: new LinkedHashMap(files)]
        start(a.script)
        if (onRun) {
            onRun(runs[-1])
        }
        codes ? codes.remove(0) : 0
    }

    // start does what a shell does with the line of jobNotifyRun's script
    // that leaves the mark, as written in the file, when the step's line
    // runs the script (jobnotify run … -- sh -e FILE, or the script alone).
    void start(String line) {
        def m = line =~ /(?:^@?|-- )(?:sh -e|cmd \/c call) (\S+)$/
        if (!m.find() || !(starts ? starts.remove(0) : true)) {
            return
        }
        String script = path(m.group(1).replace('\\', '/'))
        assert files.containsKey(script): "${line}: no ${script}"
        def mark = files[script] =~ /(?m)^(?:: > |@type nul > )(\S+?)\r?$/
        assert mark.find(): "${script} leaves no mark"
        files[path(mark.group(1).replace('\\', '/'))] = ''
    }

    Binding binding() {
        def b = new Binding()
        b.env = env
        b.currentBuild = currentBuild
        b.isUnix = { -> unix }
        b.sh = { Map a -> run('sh', a) }
        b.bat = { Map a -> run('bat', a) }
        b.withEnv = { List vars, Closure body ->
            trace << 'withEnv'
            envStack << vars.collect { it.toString() }
            try { body() } finally { envStack.remove(envStack.size() - 1); trace << '/withEnv' }
        }
        b.string = { Map a -> [kind: 'string'] + a }
        b.withCredentials = { List bindings, Closure body ->
            trace << 'withCredentials'
            creds.addAll(bindings)
            try { body() } finally { creds.removeAll(bindings); trace << '/withCredentials' }
        }
        b.dir = { String d, Closure body ->
            cwd << d
            try { body() } finally { cwd.remove(cwd.size() - 1) }
        }
        b.writeFile = { Map a ->
            trace << 'writeFile'
            String p = path(a.file)
            writes << [path: p, text: a.text, encoding: a.encoding, creds: new ArrayList(creds)]
            files[p] = a.text
        }
        b.fileExists = { String f -> trace << 'fileExists'; files.containsKey(path(f)) }
        b.deleteDir = { ->
            trace << 'deleteDir'
            // Outside any dir block this would delete the workspace.
            assert !cwd.isEmpty(): 'deleteDir outside a dir block: the whole workspace'
            String d = here()
            deleted << d
            for (Iterator<String> it = files.keySet().iterator(); it.hasNext();) {
                String f = it.next()
                if (f == d || f.startsWith(d + '/')) {
                    it.remove()
                }
            }
        }
        b.error = { String m -> trace << 'error'; errors << m; throw new StepError(m) }
        b.unstable = { String m -> trace << 'unstable'; unstables << m }
        b.echo = { String m -> echoes << m }
        b
    }
}

File vars = new File(args ? args[0] : 'jenkins/vars')
def loader = new GroovyClassLoader(this.class.classLoader)
Class jobNotifyClass = loader.parseClass(new File(vars, 'jobNotify.groovy'))
Class withJobNotifyClass = loader.parseClass(new File(vars, 'withJobNotify.groovy'))
Class jobNotifyRunClass = loader.parseClass(new File(vars, 'jobNotifyRun.groovy'))
Class interruption = loader.parseClass('''
package org.jenkinsci.plugins.workflow.steps
class FlowInterruptedException extends InterruptedException {
    FlowInterruptedException() { super('aborted') }
}''')

// load gives the library's steps, bound to fake's stubs, as Jenkins
// would: each a global the others can call, and whose methods they can
// call (jobNotify.bodyText).
Map load(Fake fake, List<Class> classes) {
    Binding b = fake.binding()
    Map steps = [:]
    for (Class c in classes) {
        Script s = InvokerHelper.createScript(c, b)
        b.setVariable(c.name, s)
        steps[c.name] = s.&call
    }
    steps
}

List<String> failures = []
int ran = 0
def test = { String name, Closure body ->
    ran++
    Fake fake = new Fake()
    Map steps = load(fake, [jobNotifyClass, withJobNotifyClass, jobNotifyRunClass])
    try {
        body(fake, steps.jobNotify, steps.withJobNotify)
    } catch (Throwable e) {
        failures << "${name}: ${e}"
    }
}

// testRun is test for jobNotifyRun.
def testRun = { String name, Closure body ->
    ran++
    Fake fake = new Fake()
    Map steps = load(fake, [jobNotifyClass, withJobNotifyClass, jobNotifyRunClass])
    try {
        body(fake, steps.jobNotifyRun)
    } catch (Throwable e) {
        failures << "${name}: ${e}"
    }
}

// thrown runs body and returns what it threw (failing when nothing).
def thrown = { Closure body ->
    try {
        body()
    } catch (Throwable e) {
        return e
    }
    assert false: 'threw nothing'
}

def json = { String text -> new JsonSlurper().parseText(text) }

// A value that would break, or run, something if it reached sh or cmd.
String nasty = 'it\'s "$HOME" ${USER} `id` $(id) %PATH% %% & | ; ^ < > ! \\ \n second line'

// The command, always one of these, with the body file's place in it.
String bodyPattern = /\.jobnotify-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/body\.json/

// checkBody checks one call's body file: written outside the credential,
// in UTF-8, in its own directory under the current one, named on the
// command line, there when jobnotify ran, and gone afterwards. Returns its
// JSON.
def checkBody = { Fake fake, Map run ->
    assert fake.writes.size() == 1
    Map w = fake.writes[0]
    String rel = run.cwd ? w.path.substring(run.cwd.length() + 1) : w.path
    assert rel ==~ bodyPattern
    String prefix = run.step == 'bat' ? '@' : ''
    assert run.script == prefix + 'jobnotify send --body @' + rel
    assert w.encoding == 'UTF-8'
    assert w.creds.isEmpty(): 'the body was written with the credential bound'
    assert run.files[w.path] == w.text: 'the body file was not there when jobnotify ran'
    assert fake.files.isEmpty(): "left behind: ${fake.files.keySet()}"
    assert fake.deleted == [w.path.substring(0, w.path.lastIndexOf('/'))]
    json(w.text)
}

test('defaults, no body') { Fake fake, jobNotify, withJobNotify ->
    fake.env.JOBNOTIFY_CREDENTIALS_ID = 'notify-token'
    fake.currentBuild.currentResult = 'UNSTABLE'
    assert jobNotify() == 0
    assert fake.runs.size() == 1
    Map r = fake.runs[0]
    assert r.step == 'sh'
    assert r.script == 'jobnotify send'
    assert r.returnStatus == true
    assert r.env == [JOBNOTIFY_STATUS: 'UNSTABLE']
    assert r.creds == [[kind: 'string', credentialsId: 'notify-token', variable: 'NOTIFY_TOKEN']]
    assert fake.writes.isEmpty() && fake.deleted.isEmpty()
    assert fake.trace == ['withEnv', 'withCredentials', 'sh', '/withCredentials', '/withEnv']
    assert fake.errors.isEmpty() && fake.unstables.isEmpty() && fake.echoes.isEmpty()
}

test('no value reaches the command line') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: nasty, target: nasty, body: [note: nasty], fields: [(nasty): nasty, stage: 'deploy'],
              credentialsId: 'notify-token', softFail: true)
    Map r = fake.runs[0]
    assert r.env == [JOBNOTIFY_STATUS: nasty, JOBNOTIFY_TARGET: nasty, JOBNOTIFY_SOFT_FAIL: 'true']
    assert checkBody(fake, r) == [note: nasty, (nasty): nasty, stage: 'deploy']
    assert !r.script.contains('deploy') && !r.script.contains('$') && !r.script.contains('%')
    assert fake.trace == ['writeFile', 'withEnv', 'withCredentials', 'sh', '/withCredentials', '/withEnv', 'deleteDir']
}

test('bat on Windows, the same fixed command') { Fake fake, jobNotify, withJobNotify ->
    fake.unix = false
    jobNotify(status: nasty, fields: [coverage: '87%', cmd: 'a & b'])
    assert fake.runs*.step == ['bat']
    Map r = fake.runs[0]
    assert r.script.startsWith('@jobnotify send --body @')
    assert checkBody(fake, r) == [coverage: '87%', cmd: 'a & b']
    assert r.env.JOBNOTIFY_STATUS == nasty

    fake.runs.clear()
    jobNotify(status: 'SUCCESS')
    assert fake.runs[0].script == '@jobnotify send'
}

test('fields are merged into a Map body, and win') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'SUCCESS', body: [stage: 'build', tests: [passed: 412, failed: 0], tags: ['a', 'b']],
              fields: [stage: 'deploy', ok: true, 'a.b': 1])
    assert checkBody(fake, fake.runs[0]) == [stage: 'deploy', tests: [passed: 412, failed: 0], tags: ['a', 'b'], ok: true, 'a.b': 1]
}

test('fields alone are the body') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'SUCCESS', fields: [duration_ms: 1234, gstring: "build ${6 * 7}"])
    assert checkBody(fake, fake.runs[0]) == [duration_ms: 1234, gstring: 'build 42']
}

test('a String body without fields is sent as it is') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'FAILURE', body: nasty)
    Map r = fake.runs[0]
    assert fake.writes[0].text == nasty
    assert r.script ==~ /jobnotify send --body @/ + bodyPattern
    assert fake.files.isEmpty()
}

test('a String JSON object body takes the fields') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'SUCCESS', body: '{"stage": "build", "n": 1}', fields: [n: 2])
    assert checkBody(fake, fake.runs[0]) == [stage: 'build', n: 2]
}

test('a String text body with fields becomes the message') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'FAILURE', body: 'Deploy to prod failed', fields: [stage: 'deploy'])
    assert checkBody(fake, fake.runs[0]) == [message: 'Deploy to prod failed', stage: 'deploy']
    fake.writes.clear(); fake.deleted.clear(); fake.runs.clear()
    jobNotify(status: 'FAILURE', body: '42', fields: [stage: 'deploy'])
    assert checkBody(fake, fake.runs[0]) == [message: '42', stage: 'deploy']
}

test('a String body that starts with { but is not JSON') { Fake fake, jobNotify, withJobNotify ->
    def e = thrown { jobNotify(status: 'SUCCESS', body: '{oops', fields: [a: 1]) }
    assert e instanceof StepError && e.message.contains('must be valid JSON')
    assert fake.runs.isEmpty()
}

test('the credential is bound around jobnotify only') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'SUCCESS', body: [a: 1], credentialsId: 'hook', tokenVariable: 'HOOK_TOKEN')
    assert fake.runs[0].creds == [[kind: 'string', credentialsId: 'hook', variable: 'HOOK_TOKEN']]
    assert fake.trace.count('withCredentials') == 1
    assert fake.trace.indexOf('writeFile') < fake.trace.indexOf('withCredentials')
    assert fake.trace.indexOf('deleteDir') > fake.trace.indexOf('/withCredentials')
    assert fake.creds.isEmpty()
}

test('no credential: none given, or null over the default') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'SUCCESS')
    fake.env.JOBNOTIFY_CREDENTIALS_ID = 'notify-token'
    jobNotify(status: 'SUCCESS', credentialsId: null)
    assert fake.runs*.creds == [[], []]
    assert !fake.trace.contains('withCredentials')
}

test('bad tokenVariable') { Fake fake, jobNotify, withJobNotify ->
    def e = thrown { jobNotify(status: 'SUCCESS', credentialsId: 'x', tokenVariable: 'A B') }
    assert e instanceof StepError && fake.runs.isEmpty()
}

test('softFail and idFromBuild set their variables') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'SUCCESS', softFail: false, idFromBuild: false)
    jobNotify(status: 'SUCCESS', softFail: 'true', idFromBuild: true)
    assert fake.runs*.env == [[JOBNOTIFY_STATUS: 'SUCCESS', JOBNOTIFY_SOFT_FAIL: 'false'],
                              [JOBNOTIFY_STATUS: 'SUCCESS', JOBNOTIFY_SOFT_FAIL: 'true', JOBNOTIFY_ID_FROM: 'build']]
    def e = thrown { jobNotify(status: 'SUCCESS', softFail: 'yes') }
    assert e instanceof StepError && fake.runs.size() == 2
}

test('unknown arguments and failure modes are errors, before anything runs') { Fake fake, jobNotify, withJobNotify ->
    def e = thrown { jobNotify(status: 'SUCCESS', feilds: [a: 1]) }
    assert e instanceof StepError && e.message.contains('feilds')
    e = thrown { jobNotify(status: 'SUCCESS', failure: 'ignore') }
    assert e instanceof StepError && e.message.contains('ignore')
    e = thrown { jobNotify(status: 'SUCCESS', body: ['a']) }
    assert e instanceof StepError
    e = thrown { jobNotify(status: 'SUCCESS', fields: 'a=b') }
    assert e instanceof StepError
    assert fake.runs.isEmpty() && fake.writes.isEmpty()
}

test('exit 1: warn by default') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [1]
    assert jobNotify(status: 'SUCCESS') == 1
    assert fake.echoes.size() == 1 && fake.echoes[0].startsWith('WARNING: jobnotify:')
    assert fake.unstables.isEmpty() && fake.errors.isEmpty()
}

test('exit 1 with failure unstable: unstable()') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [1]
    assert jobNotify(status: 'SUCCESS', failure: 'unstable', body: [a: 1]) == 1
    assert fake.unstables.size() == 1 && fake.unstables[0].contains('not delivered')
    assert fake.errors.isEmpty() && fake.files.isEmpty()
}

test('exit 1 with failure fail: error()') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [1]
    def e = thrown { jobNotify(status: 'SUCCESS', failure: 'fail', body: [a: 1]) }
    assert e instanceof StepError && e.message.contains('not delivered')
    assert fake.files.isEmpty()
}

test('exit 2: error(), whatever failure and softFail say') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [2, 2]
    def e = thrown { jobNotify(status: 'SUCCESS', body: [a: 1]) }
    assert e instanceof StepError && e.message.startsWith('jobnotify: ') && e.message.contains('exit 2')
    assert fake.files.isEmpty() && fake.deleted.size() == 1
    e = thrown { jobNotify(status: 'SUCCESS', softFail: true) }
    assert e instanceof StepError && e.message.contains('exit 2')
    assert fake.unstables.isEmpty()
}

test('exit 130 and 143: the build is being aborted') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [130, 143]
    for (int i = 0; i < 2; i++) {
        def e = thrown { jobNotify(status: 'SUCCESS', failure: 'warn', softFail: true) }
        assert e instanceof StepError && e.message.contains('abort')
    }
}

test('other exits: not run; a warning under softFail') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [127, 9009]
    def e = thrown { jobNotify(status: 'SUCCESS') }
    assert e instanceof StepError && e.message.contains('127')
    fake.unix = false
    assert jobNotify(status: 'SUCCESS', softFail: true) == 9009
    assert fake.echoes.size() == 1 && fake.echoes[0].contains('9009')
}

test('not run: the build\'s JOBNOTIFY_SOFT_FAIL counts too') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [127]
    fake.env.JOBNOTIFY_SOFT_FAIL = 'true'
    assert jobNotify(status: 'SUCCESS') == 127
    assert fake.echoes.size() == 1 && fake.echoes[0].contains('127')
}

test('the body is deleted when the step itself throws') { Fake fake, jobNotify, withJobNotify ->
    def abort = interruption.newInstance()
    fake.onRun = { throw abort }
    def e = thrown { jobNotify(status: 'SUCCESS', body: [a: 1]) }
    assert e.is(abort)
    assert fake.files.isEmpty() && fake.deleted.size() == 1
}

test('inside dir(): the file and the command agree') { Fake fake, jobNotify, withJobNotify ->
    fake.binding().getVariable('dir').call('sub/dir') { jobNotify(status: 'SUCCESS', fields: [a: 1]) }
    Map r = fake.runs[0]
    assert r.cwd == 'sub/dir'
    assert fake.writes[0].path.startsWith('sub/dir/.jobnotify-')
    assert checkBody(fake, r) == [a: 1]
}

test('each call has its own file') { Fake fake, jobNotify, withJobNotify ->
    jobNotify(status: 'STARTED', fields: [a: 1])
    jobNotify(status: 'SUCCESS', fields: [a: 2])
    assert fake.runs[0].script != fake.runs[1].script
    assert fake.writes*.path.unique().size() == 2
    assert fake.files.isEmpty()
}

test('withJobNotify: STARTED, then SUCCESS; the block sees no credential') { Fake fake, jobNotify, withJobNotify ->
    fake.env.JOBNOTIFY_CREDENTIALS_ID = 'notify-token'
    List seen = []
    def got = withJobNotify(target: 'chat', fields: [stage: 'deploy']) {
        seen << [creds: new ArrayList(fake.creds), env: fake.envNow()]
        return 42
    }
    assert got == 42
    assert fake.runs*.env*.JOBNOTIFY_STATUS == ['STARTED', 'SUCCESS']
    assert fake.runs*.env*.JOBNOTIFY_TARGET == ['chat', 'chat']
    assert fake.runs*.creds*.credentialsId == [['notify-token'], ['notify-token']]
    assert seen == [[creds: [], env: [:]]]
    assert fake.trace.count('withCredentials') == 2
    assert fake.writes*.text.collect { json(it) } == [[stage: 'deploy'], [stage: 'deploy']]
    assert fake.files.isEmpty()
}

test('withJobNotify: a worse result so far is the outcome') { Fake fake, jobNotify, withJobNotify ->
    withJobNotify { fake.currentBuild.currentResult = 'UNSTABLE' }
    assert fake.runs*.env*.JOBNOTIFY_STATUS == ['STARTED', 'UNSTABLE']
}

test('withJobNotify: FAILURE, and the error thrown on') { Fake fake, jobNotify, withJobNotify ->
    def boom = new RuntimeException('boom')
    def e = thrown { withJobNotify(failure: 'unstable') { throw boom } }
    assert e.is(boom)
    assert fake.runs*.env*.JOBNOTIFY_STATUS == ['STARTED', 'FAILURE']
}

test('withJobNotify: a failed assert in the block is a FAILURE too') { Fake fake, jobNotify, withJobNotify ->
    def e = thrown { withJobNotify { assert 1 == 2 } }
    assert e instanceof AssertionError
    assert fake.runs*.env*.JOBNOTIFY_STATUS == ['STARTED', 'FAILURE']
}

test('withJobNotify: ABORTED on FlowInterruptedException') { Fake fake, jobNotify, withJobNotify ->
    def abort = interruption.newInstance()
    def e = thrown { withJobNotify { throw abort } }
    assert e.is(abort)
    assert fake.runs*.env*.JOBNOTIFY_STATUS == ['STARTED', 'ABORTED']
}

test('withJobNotify: the block\'s error wins over a failed outcome send') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [0, 1]
    def boom = new RuntimeException('boom')
    def e = thrown { withJobNotify(failure: 'fail') { throw boom } }
    assert e.is(boom)
    assert fake.errors.size() == 1 && fake.echoes.any { it.contains('FAILURE notification failed') }
}

test('withJobNotify: a STARTED that cannot be sent stops the block') { Fake fake, jobNotify, withJobNotify ->
    fake.codes = [2]
    boolean blockRan = false
    def e = thrown { withJobNotify { blockRan = true } }
    assert e instanceof StepError && !blockRan && fake.runs.size() == 1
}

test('withJobNotify: status is not an argument') { Fake fake, jobNotify, withJobNotify ->
    def e = thrown { withJobNotify(status: 'SUCCESS') { } }
    assert e instanceof StepError && fake.runs.isEmpty()
}

// jobNotifyRun's directory, and its files' places on a command line.
String runDir = /\.jobnotify-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/

// runLine checks one jobNotifyRun step's command line, which is fixed text
// but for flags, and returns its directory.
def runLine = { Map run, String flags ->
    String rx = run.step == 'sh' ?
        /jobnotify run / + flags + /-- sh -e (/ + runDir + /)\/command\.sh/ :
        /@jobnotify run / + flags + /-- cmd \/c call (/ + runDir + /)\\command\.bat/
    def m = run.script =~ ('^' + rx + '$')
    assert m.find(): "${run.script} !~ ${rx}"
    m.group(1)
}

// checkRunFiles checks jobNotifyRun's files: written outside the
// credential, in UTF-8, there when jobnotify ran, and gone afterwards.
// Returns them by name.
def checkRunFiles = { Fake fake, Map run, String d ->
    String at = run.cwd ? run.cwd + '/' + d : d
    assert fake.writes*.path.every { it.startsWith(at + '/') }
    assert fake.writes.every { it.encoding == 'UTF-8' && it.creds.isEmpty() }
    Map<String, String> byName = [:]
    for (Map w in fake.writes) {
        assert run.files[w.path] == w.text: "${w.path} was not there when jobnotify ran"
        byName[w.path.substring(at.length() + 1)] = w.text
    }
    assert fake.files.isEmpty(): "left behind: ${fake.files.keySet()}"
    assert fake.deleted == [at]
    byName
}

testRun('jobNotifyRun: the command line, the script and the body') { Fake fake, jobNotifyRun ->
    assert jobNotifyRun(command: './deploy.sh prod', tail: 40, grace: '5s', fields: [stage: 'deploy'],
                        target: 'chat') == 0
    assert fake.runs.size() == 1
    Map r = fake.runs[0]
    assert r.step == 'sh' && r.returnStatus == true
    String d = runLine(r, /--tail 40 --grace 5s --body @/ + runDir + /\/body\.json /)
    assert r.script.contains('@' + d + '/body.json')
    assert r.env == [JOBNOTIFY_TARGET: 'chat']
    assert r.creds.isEmpty()
    Map files = checkRunFiles(fake, r, d)
    assert files.keySet() == ['body.json', 'command.sh'] as Set
    assert json(files['body.json']) == [stage: 'deploy']
    assert files['command.sh'] == ": > ${d}/started\n./deploy.sh prod"
    assert fake.trace == ['writeFile', 'writeFile', 'withEnv', 'sh', '/withEnv', 'fileExists', 'deleteDir']
    assert fake.errors.isEmpty() && fake.echoes.isEmpty()
}

testRun('jobNotifyRun: defaults') { Fake fake, jobNotifyRun ->
    assert jobNotifyRun(command: "make ${'test'}") == 0
    Map r = fake.runs[0]
    String d = runLine(r, '')
    assert r.env == [:]
    assert checkRunFiles(fake, r, d) == ['command.sh': ": > ${d}/started\nmake test"]
}

testRun('jobNotifyRun: quotes and $ in the command reach the script file alone') { Fake fake, jobNotifyRun ->
    String command = 'printf \'%s|\' "it\'s" \'$HOME\' "a\\"b" \'%PATH%\' "$(echo run)" `echo x` && echo "${USER}" & wait; echo\nexit 3'
    fake.codes = [3]
    assert jobNotifyRun(command: command, tail: 5, fields: [cmd: nasty], returnStatus: true) == 3
    Map r = fake.runs[0]
    String d = runLine(r, /--tail 5 --body @/ + runDir + /\/body\.json /)
    Map files = checkRunFiles(fake, r, d)
    assert files['command.sh'] == ": > ${d}/started\n" + command
    assert json(files['body.json']) == [cmd: nasty]
    assert r.env == [:]
}

testRun('jobNotifyRun: sh runs the script as written, and its exit status comes back') { Fake fake, jobNotifyRun ->
    File shell = ['/bin/sh', '/usr/bin/sh'].collect { new File(it) }.find { it.canExecute() }
    if (shell == null) {
        return // no sh to run it with
    }
    List<Map> got = []
    // The step's sh: the workspace as it is, and what follows -- on the
    // line run in it, as jobnotify runs it.
    fake.onRun = { Map r ->
        File ws = File.createTempDir()
        try {
            r.files.each { String p, String text ->
                File f = new File(ws, p)
                f.parentFile.mkdirs()
                f.setText(text, 'UTF-8')
            }
            List<String> argv = r.script.substring(r.script.indexOf(' -- ') + 4).tokenize(' ')
            Process p = new ProcessBuilder(argv).directory(ws).redirectErrorStream(true).start()
            String out = p.inputStream.getText('UTF-8')
            int code = p.waitFor()
            String d = argv[-1].substring(0, argv[-1].lastIndexOf('/'))
            got << [out: out, code: code, started: new File(ws, d + '/started').exists()]
            fake.codes = [code]
        } finally {
            ws.deleteDir()
        }
    }
    String command = 'printf \'%s|\' "it\'s" \'$HOME\' "a\\"b" \'%PATH%\' "$(echo run)" `echo x`; echo\nexit 3'
    assert jobNotifyRun(command: command, returnStatus: true) == 3
    assert got == [[out: 'it\'s|$HOME|a"b|%PATH%|run|x|\n', code: 3, started: true]]

    // sh -e: the first command that fails ends the script.
    got.clear()
    def e = thrown { jobNotifyRun(command: 'echo one\nfalse\necho two') }
    assert e instanceof StepError && e.message.contains('exit code 1')
    assert got == [[out: 'one\n', code: 1, started: true]]

    // The credential's variable is unset before the command runs.
    got.clear()
    fake.onRun = { Map r -> got << r.files.find { it.key.endsWith('command.sh') }.value }
    jobNotifyRun(command: 'env', credentialsId: 'notify-token', tokenVariable: 'HOOK_TOKEN')
    assert got.size() == 1 && got[0].startsWith('unset HOOK_TOKEN\n: > ')
}

testRun('jobNotifyRun: a failed command fails the step, as sh does') { Fake fake, jobNotifyRun ->
    fake.codes = [1]
    def e = thrown { jobNotifyRun(command: 'make test') }
    assert e instanceof StepError && e.message == 'jobnotify: jobNotifyRun: the command returned exit code 1'
    assert fake.runs.size() == 1 && fake.files.isEmpty() && fake.deleted.size() == 1
    // An exit status that is jobnotify's own when the command did not run
    // is the command's when it did.
    for (int code in [2, 127, 130, 137, 143]) {
        fake.codes = [code]
        e = thrown { jobNotifyRun(command: 'make test', softFail: true) }
        assert e instanceof StepError && e.message.endsWith("exit code ${code}")
        fake.codes = [code]
        assert jobNotifyRun(command: 'make test', returnStatus: true) == code
    }
    assert fake.echoes.isEmpty() && fake.runs.size() == 11
}

testRun('jobNotifyRun: returnStatus') { Fake fake, jobNotifyRun ->
    fake.codes = [0, 4]
    assert jobNotifyRun(command: 'true', returnStatus: true) == 0
    assert jobNotifyRun(command: 'exit 4', returnStatus: 'true') == 4
    assert fake.errors.isEmpty()
    def e = thrown { jobNotifyRun(command: 'x', returnStatus: 'yes') }
    assert e instanceof StepError && e.message.contains('returnStatus') && fake.runs.size() == 2
}

testRun('jobNotifyRun: bat on Windows') { Fake fake, jobNotifyRun ->
    fake.unix = false
    fake.codes = [5]
    assert jobNotifyRun(command: 'call build.cmd "a b" %CONFIG%\necho 100%% & exit /b 5', tail: 10,
                        fields: [coverage: '87%'], returnStatus: true) == 5
    Map r = fake.runs[0]
    assert r.step == 'bat'
    String d = runLine(r, /--tail 10 --body @/ + runDir + /\/body\.json /)
    Map files = checkRunFiles(fake, r, d)
    assert files['command.bat'] == "@type nul > ${d}\\started\r\ncall build.cmd \"a b\" %CONFIG%\r\necho 100%% & exit /b 5"
    assert json(files['body.json']) == [coverage: '87%']

    fake.writes.clear(); fake.deleted.clear(); fake.runs.clear()
    fake.codes = [1]
    def e = thrown { jobNotifyRun(command: 'build.cmd\r\n', credentialsId: 'notify-token') }
    assert e instanceof StepError && e.message.endsWith('exit code 1')
    r = fake.runs[0]
    d = runLine(r, '')
    assert checkRunFiles(fake, r, d)['command.bat'] == "@set \"NOTIFY_TOKEN=\"\r\n@type nul > ${d}\\started\r\nbuild.cmd\r\n"
    assert r.creds*.credentialsId == ['notify-token']
}

testRun('jobNotifyRun: the credential is bound around jobnotify only, and unset for the command') { Fake fake, jobNotifyRun ->
    fake.env.JOBNOTIFY_CREDENTIALS_ID = 'notify-token'
    jobNotifyRun(command: './deploy.sh', fields: [a: 1])
    Map r = fake.runs[0]
    assert r.creds == [[kind: 'string', credentialsId: 'notify-token', variable: 'NOTIFY_TOKEN']]
    String d = runLine(r, /--body @/ + runDir + /\/body\.json /)
    assert checkRunFiles(fake, r, d)['command.sh'] == "unset NOTIFY_TOKEN\n: > ${d}/started\n./deploy.sh"
    assert fake.trace == ['writeFile', 'writeFile', 'withEnv', 'withCredentials', 'sh', '/withCredentials', '/withEnv',
                          'fileExists', 'deleteDir']
    assert fake.creds.isEmpty()

    fake.runs.clear(); fake.writes.clear(); fake.deleted.clear()
    jobNotifyRun(command: './deploy.sh', credentialsId: null)
    assert fake.runs[0].creds.isEmpty()
    assert fake.writes[0].text.startsWith(': > ')
}

testRun('jobNotifyRun: jobnotify not on the PATH: the command does not run') { Fake fake, jobNotifyRun ->
    fake.codes = [127]
    fake.starts = [false]
    def e = thrown { jobNotifyRun(command: './deploy.sh', returnStatus: true) }
    assert e instanceof StepError && e.message.contains('exit 127') && e.message.contains('nor did the command')
    assert fake.runs.size() == 1 && fake.files.isEmpty() && fake.deleted.size() == 1

    fake.codes = [2]
    fake.starts = [false]
    e = thrown { jobNotifyRun(command: './deploy.sh') }
    assert e instanceof StepError && e.message.contains('exit 2') && e.message.contains('did not run')
}

testRun('jobNotifyRun: not run under soft fail: the command runs without jobnotify') { Fake fake, jobNotifyRun ->
    fake.codes = [127, 0]
    fake.starts = [false]
    assert jobNotifyRun(command: './deploy.sh', softFail: true, credentialsId: 'notify-token', target: 'chat') == 0
    assert fake.runs.size() == 2
    String d = runLine(fake.runs[0], '')
    Map again = fake.runs[1]
    assert again.script == 'sh -e ' + d + '/command.sh'
    assert again.env.isEmpty() && again.creds.isEmpty()
    assert fake.echoes.size() == 1 && fake.echoes[0].startsWith('WARNING: jobnotify: did not run (exit 127')
    assert fake.echoes[0].contains('without notifications')
    assert fake.files.isEmpty() && fake.deleted == [d]

    // The build's JOBNOTIFY_SOFT_FAIL, on Windows, and the command's status.
    fake.runs.clear(); fake.echoes.clear(); fake.deleted.clear()
    fake.unix = false
    fake.env.JOBNOTIFY_SOFT_FAIL = 'true'
    fake.codes = [9009, 6]
    fake.starts = [false]
    assert jobNotifyRun(command: 'deploy.cmd', returnStatus: true) == 6
    d = runLine(fake.runs[0], '')
    assert fake.runs[1].script == '@cmd /c call ' + d + '\\command.bat'
    assert fake.echoes.size() == 1 && fake.echoes[0].contains('9009')

    // A usage error (a jobnotify too old to know run) too.
    fake.codes = [2, 1]
    fake.starts = [false]
    def e = thrown { jobNotifyRun(command: 'deploy.cmd') }
    assert e instanceof StepError && e.message.endsWith('exit code 1')
    assert fake.echoes.size() == 2 && fake.echoes[1].contains('exit 2')
}

testRun('jobNotifyRun: interrupted before the command started') { Fake fake, jobNotifyRun ->
    for (int code in [130, 143]) {
        fake.codes = [code]
        fake.starts = [false]
        def e = thrown { jobNotifyRun(command: './deploy.sh', softFail: true, returnStatus: true) }
        assert e instanceof StepError && e.message.contains('abort')
    }
    assert fake.runs.size() == 2 && fake.echoes.isEmpty() && fake.files.isEmpty()
}

testRun('jobNotifyRun: the files are deleted when the step itself throws') { Fake fake, jobNotifyRun ->
    def abort = interruption.newInstance()
    fake.onRun = { throw abort }
    def e = thrown { jobNotifyRun(command: './deploy.sh', fields: [a: 1]) }
    assert e.is(abort)
    assert fake.files.isEmpty() && fake.deleted.size() == 1
}

testRun('jobNotifyRun: inside dir(): the files and the command agree') { Fake fake, jobNotifyRun ->
    fake.binding().getVariable('dir').call('sub/dir') { jobNotifyRun(command: 'make', fields: [a: 1]) }
    Map r = fake.runs[0]
    assert r.cwd == 'sub/dir'
    String d = runLine(r, /--body @/ + runDir + /\/body\.json /)
    assert checkRunFiles(fake, r, d)['command.sh'] == ": > ${d}/started\nmake"
    assert fake.deleted == ['sub/dir/' + d]
}

testRun('jobNotifyRun: bad arguments are errors, before anything runs') { Fake fake, jobNotifyRun ->
    List<Map> bad = [
        [:],
        [command: ''],
        [command: '  \n'],
        [command: ['./deploy.sh', 'prod']],
        [command: 'x', tial: 40],
        [command: 'x', status: 'SUCCESS'],
        [command: 'x', failure: 'fail'],
        [command: 'x', tail: -1],
        [command: 'x', tail: 10001],
        [command: 'x', tail: '40; id'],
        [command: 'x', grace: '3 s'],
        [command: 'x', grace: '3s; id'],
        [command: 'x', grace: 3],
        [command: 'x', fields: 'a=b'],
        [command: 'x', body: ['a']],
        [command: 'x', softFail: 'yes'],
        [command: 'x', credentialsId: 'c', tokenVariable: 'A B'],
    ]
    for (Map a in bad) {
        def e = thrown { jobNotifyRun(a) }
        assert e instanceof StepError && e.message.startsWith('jobnotify: jobNotifyRun: '): "${a}: ${e}"
    }
    assert fake.runs.isEmpty() && fake.writes.isEmpty()
    assert jobNotifyRun(command: 'x', tail: '0', grace: '1m30s') == 0
    assert jobNotifyRun(command: 'x', tail: 10000, grace: '500ms') == 0
    assert fake.runs*.script.collect { it.replaceAll(runDir, 'D') } == [
        'jobnotify run --grace 1m30s -- sh -e D/command.sh',
        'jobnotify run --tail 10000 --grace 500ms -- sh -e D/command.sh']
}

test('several targets, on and the previous status') { Fake fake, jobNotify, withJobNotify ->
    fake.currentBuild.previousBuild = [result: 'FAILURE']
    jobNotify(status: 'SUCCESS', target: ['api', 'chat'], on: ['failure', 'fixed'])
    assert fake.runs[0].env == [JOBNOTIFY_STATUS: 'SUCCESS', JOBNOTIFY_TARGET: 'api,chat',
                                JOBNOTIFY_ON: 'failure,fixed', JOBNOTIFY_PREVIOUS_STATUS: 'FAILURE']
    fake.runs.clear()
    // A first build has no previous one; previousStatus wins over it.
    fake.currentBuild.previousBuild = null
    jobNotify(status: 'SUCCESS', target: 'api,chat', on: 'changed')
    jobNotify(status: 'SUCCESS', previousStatus: 'UNSTABLE')
    assert fake.runs*.env == [[JOBNOTIFY_STATUS: 'SUCCESS', JOBNOTIFY_TARGET: 'api,chat', JOBNOTIFY_ON: 'changed'],
                              [JOBNOTIFY_STATUS: 'SUCCESS', JOBNOTIFY_PREVIOUS_STATUS: 'UNSTABLE']]
    def e = thrown { jobNotify(status: 'SUCCESS', on: [failure: true]) }
    assert e instanceof StepError && e.message == 'jobnotify: jobNotify: on: want a String or a List'
}

testRun('jobNotifyRun: several targets and on') { Fake fake, jobNotifyRun ->
    fake.currentBuild.previousBuild = [result: 'SUCCESS']
    assert jobNotifyRun(command: './deploy.sh', target: ['api', 'chat'], on: 'regression') == 0
    Map env = fake.runs[0].env
    assert env.JOBNOTIFY_TARGET == 'api,chat' && env.JOBNOTIFY_ON == 'regression' && env.JOBNOTIFY_PREVIOUS_STATUS == 'SUCCESS'
}

for (String f in failures) {
    System.err.println('FAIL ' + f)
}
println "${ran - failures.size()} of ${ran} library tests passed"
System.exit(failures ? 1 : 0)
