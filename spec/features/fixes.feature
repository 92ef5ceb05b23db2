Feature: Fixes of the Python plugins' bugs
  Each scenario is one of the bugs measured in the official Python plugins (kiwitcms-junit.xml-plugin
  15.0, kiwitcms-tap-plugin 12.8.1, tcms-api 15.0) that the Rust plugins do not have. The number
  of the bug in the measurements is given in each scenario's description.

  Scenario: A fresh server without any Classification gets one instead of crashing
    Bug 1: tcms-api takes Classification.filter({})[0] and dies with IndexError on a fresh server.

    Given a Kiwi TCMS 12.4 server
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And Classification.create is called with:
      | name | "unspecified" |
    And Product.create is called with:
      | name           | "P"                          |
      | classification | classification "unspecified" |
    And the server has 1 classification
    And the reported test run has the executions:
      | case      | status |
      | t.passing | PASSED |

  Scenario: A TCMS_RUN_ID that does not exist creates nothing
    Bug 12: the Python plugins create Product, Version, a TestPlan and a TestCase, then die on
    TestRun.add_case.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_RUN_ID          | 999999 |
      | TCMS_PRODUCT         | P      |
      | TCMS_PRODUCT_VERSION | v1     |
      | TCMS_BUILD           | b1     |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails because what the environment names does not fit
    And the error message contains "TCMS_RUN_ID=999999: there is no TestRun 999999"
    And TestRun.filter is called with:
      | pk | 999999 |
    And no method named `*.create` is called
    And the plugin makes no change on the server
    And the server has 0 products
    And the plugin exits with status 1

  Scenario: A TCMS_RUN_ID that is not a number is refused before anything is sent
    Given a Kiwi TCMS 12.4 server
    And the environment variable TCMS_RUN_ID is "TR-24"
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails with a settings error
    And the error message contains "TCMS_RUN_ID=\"TR-24\" is not a valid id"
    And no method named `*` is called

  
  Scenario: A TCMS_DEFAULT_TESTER_ID that names no user creates nothing
    Engine bug (tcms-api/src/report/engine.rs, Reporter::start): the tester id is not checked
    before the first write, so Product, Version and Build are created and then TestPlan.create
    fails ("author: Select a valid choice"), leaving them behind. Expected: refused before any
    write, like a bad TCMS_RUN_ID or TCMS_PLAN_ID.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT           | P   |
      | TCMS_PRODUCT_VERSION   | v1  |
      | TCMS_BUILD             | b1  |
      | TCMS_DEFAULT_TESTER_ID | 999 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails because what the environment names does not fit
    And the error message contains "TCMS_DEFAULT_TESTER_ID=999"
    And the plugin makes no change on the server
    And the server has 0 products

  Scenario: A TCMS_PLAN_ID of another version creates nothing
    Bug 13: the Python plugins create Version v2 and its Build, then TestRun.create fails with
    "build: Select a valid choice".

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the product "P" with version "v1" and build "b1"
    And the test plan "Plan of v1" of product "P" version "v1"
    And the environment variable TCMS_PLAN_ID is the id of the test plan "Plan of v1"
    And the environment variables:
      | TCMS_PRODUCT_VERSION | v2 |
      | TCMS_BUILD           | 9  |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails because what the environment names does not fit
    And the error message contains "is a plan for version \"v1\", but TCMS_PRODUCT_VERSION=\"v2\""
    And the plugin makes no change on the server
    And the product "P" has the versions "unspecified", "v1"

  Scenario: A TCMS_PLAN_ID that does not exist creates nothing
    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PLAN_ID         | 4242 |
      | TCMS_PRODUCT         | P    |
      | TCMS_PRODUCT_VERSION | v1   |
      | TCMS_BUILD           | b1   |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails because what the environment names does not fit
    And the error message contains "TCMS_PLAN_ID=4242: there is no TestPlan 4242"
    And the plugin makes no change on the server

  Scenario: Duplicate names keep the worst outcome and every text
    Bug 9: the Python plugins let the last result win, so "not ok 2 - dup" then "ok 3 - dup"
    hides the failure.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name  | outcome | message     | line |
      | - dup | failed  | first run   | 2    |
      | - dup | passed  |             | 3    |
      | - dup | skipped | third run   | 4    |
    When the plugin reports the results
    Then the report succeeds
    And TestCase.create is called once
    And the reported test run has the executions:
      | case  | status |
      | - dup | FAILED |
    And TestExecution.update for "- dup" is called once
    And TestExecution.add_comment for "- dup" is called once
    And the comment on "- dup" contains "[result 1 of 3, input line 2]\nFAILED: first run"
    And the comment on "- dup" contains "[result 3 of 3, input line 4]\nWAIVED: third run"
    And the summary reports 1 case, 1 created

  Scenario: Re-reporting into the same run adds no duplicate comments
    Bug 11: with TCMS_RUN_ID the Python plugins add every comment again.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v  |
      | TCMS_BUILD           | 1  |
    And the test results:
      | name   | outcome | message |
      | t.fail | failed  | nope    |
    And the plugin has reported the results
    And the environment variable TCMS_RUN_ID is the id of the test run of the last report
    And the test results:
      | name   | outcome | message |
      | t.fail | failed  | nope    |
      | t.new  | passed  |         |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.create is not called
    And TestExecution.get_comments is called
    And TestExecution.add_comment is not called
    And the execution of "t.fail" has 1 comment
    And the execution of "t.fail" has the comment "FAILED: nope"
    And the reported test run has the executions:
      | case   | status |
      | t.fail | FAILED |
      | t.new  | PASSED |

  Scenario: A name with surrounding spaces is looked up as Kiwi stores it, not created again
    Kiwi strips the spaces around a summary when it saves a case; looked up with the spaces,
    the case is never found and a new one is created on every run.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the product "P" with version "v1" and build "b1"
    And the test case "top level throws" of product "P"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And a failed test result named "top level throws "
    And a passed test result named " t.new\t"
    When the plugin reports the results
    Then the report succeeds
    And TestCase.filter is called with:
      | summary__in | ["top level throws", "t.new"] |
    And TestCase.create is called once
    And TestCase.create is called with:
      | summary | "t.new" |
    And the reported test run has the executions:
      | case             | status |
      | top level throws | FAILED |
      | t.new            | PASSED |

  Scenario: A result without a name is not reported, says why, and the others are
    Bug 7: a TAP result without a description makes tcms-api send an empty summary; the server
    refuses it and the Python plugin dies, leaving the run unfinished.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And a failed test result named "   "
    And a passed test result named "t.named"
    When the plugin reports the results
    Then the summary says "   " was not reported because "a test case needs a name that is not blank"
    And TestCase.create is called once
    And the reported test run has the executions:
      | case    | status |
      | t.named | PASSED |
    And TestRun.update is called with:
      | stop_date | a date |
    And the plugin exits with status 1

  Scenario: Passed results get no comment
    Bug 15: the Python junit.xml plugin comments "Created by ..." on every passed test, one more
    request and one more row per test.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name  | outcome | stdout            |
      | t.one | passed  | noise on stdout   |
      | t.two | passed  |                   |
    When the plugin reports the results
    Then the report succeeds
    And TestExecution.add_comment is not called
    And the execution of "t.one" has no comment
    And the server has 0 comments

  Scenario: Dates with fractions of a second are sent together with the status
    Bug 5: over XML-RPC the Python plugins lose the fractions, so a 0.125 s test lasts 0 s; and
    Kiwi drops the fractions of dates an update does not send again, so they must come in the
    same call as the status. A result without dates gets the time it was reported (its stop,
    and its start too, less its duration when the input gives one).

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name    | outcome | started                 | stopped                 |
      | t.timed | passed  | 2026-01-01T00:00:00.000 | 2026-01-01T00:00:00.125 |
      | t.plain | passed  |                         |                         |
    When the plugin reports the results
    Then the report succeeds
    And TestExecution.update for "t.timed" is called once
    And TestExecution.update for "t.timed" is sent with:
      | status     | status "PASSED"              |
      | start_date | "2026-01-01 00:00:00"        |
      | stop_date  | "2026-01-01 00:00:00.125000" |
    And the execution of "t.timed" has:
      | start_date | "2026-01-01T00:00:00"     |
      | stop_date  | "2026-01-01T00:00:00.125" |
    And TestExecution.update for "t.plain" is sent with:
      | status     | status "PASSED" |
      | start_date | a date          |
      | stop_date  | a date          |

  Scenario: The run's start date is the results' start in UTC, not the local time of the machine
    Bug 17: tcms-api sends the client's local naive time while the server keeps UTC.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the results started at "2026-03-01T10:00:00+02:00"
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.create is called with:
      | start_date | "2026-03-01 08:00:00" |

  Scenario: Names with HTML characters escaped by Kiwi TCMS 12.4 are matched, not duplicated
    Over JSON-RPC Kiwi TCMS HTML-escapes the strings it returns; a client that compares them
    unescaped creates a second test case on every run.

    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the product "P" with version "v1" and build "b1"
    And the test case "pkg.Special.test_param[<a>&b-'q\"]" of product "P"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name                               | outcome |
      | pkg.Special.test_param[<a>&b-'q"]  | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestCase.create is not called
    And the server has 1 test case
    And the reported test run has the executions:
      | case                              | status |
      | pkg.Special.test_param[<a>&b-'q"] | PASSED |

  Scenario: Names and texts with HTML characters work against Kiwi TCMS 16.2, which escapes at any depth
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    And the environment variables:
      | TCMS_PRODUCT         | P & Q |
      | TCMS_PRODUCT_VERSION | v1    |
      | TCMS_BUILD           | b1    |
    And the test results:
      | name           | outcome | message     |
      | t.passing      | passed  |             |
      | t.failing<&'"> | failed  | a < b & "c" |
    When the plugin reports the results
    Then the report succeeds
    And the reported test run has the executions:
      | case           | status |
      | t.passing      | PASSED |
      | t.failing<&'"> | FAILED |
    And the execution of "t.failing<&'\">" has the comment "FAILED: a < b & \"c\""
    And TestRun.create is called with:
      | summary | "[junit.xml] Results for P & Q, v1, b1" |
    When the plugin reports the results again
    Then the report succeeds
    And TestCase.create is not called
    And TestPlan.create is not called
    And the server has 2 test cases
    And the server has 1 test plan

  Scenario: A dry run reads the server and changes nothing
    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the product "P" with version "v1" and build "b1"
    And the test case "t.known" of product "P"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b2 |
    And the plugin runs with --dry-run
    And the test results:
      | name    | outcome | message |
      | t.known | passed  |         |
      | t.new   | failed  | no      |
    When the plugin reports the results
    Then the report succeeds
    And the plugin makes no change on the server
    And TestCase.filter is called with:
      | summary__in       | ["t.known", "t.new"] |
      | category__product | product "P"          |
    And the summary reports 2 cases, 1 created
    And the summary counts:
      | status | count |
      | PASSED | 1     |
      | FAILED | 1     |
    And the summary says it would report

  Scenario: A wrong password stops the report with the server's message and changes nothing
    Bug 16: the Python plugins end every misconfiguration in a raw traceback.

    Given a Kiwi TCMS 12.4 server
    And the plugin's password is wrong
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails with a server error
    And the error message contains "Wrong username or password"
    And the plugin makes no change on the server
