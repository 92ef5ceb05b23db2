Feature: What the server can hold goes where the server can hold it
  The plugin asks the server its version once and uses what it has: on Kiwi TCMS 15.3 and later
  a new execution is made in one call with its status, dates and tester, and executions and
  runs have properties and attachments. On an older server the same input still reports, with
  the extra data in the comments and notes.

  Background:
    Given the environment variables:
      | TCMS_PRODUCT         | P                                  |
      | TCMS_PRODUCT_VERSION | v1                                 |
      | TCMS_BUILD           | b1                                 |
      | GITHUB_ACTIONS       | true                               |
      | GITHUB_SHA           | 0123abcd                           |
      | GITHUB_REF_NAME      | main                               |
      | GITHUB_REF_TYPE      | branch                             |
      | GITHUB_SERVER_URL    | https://github.example.com         |
      | GITHUB_REPOSITORY    | org/repo                           |
      | GITHUB_RUN_ID        | 77                                 |
      | RUNNER_OS            | Linux                              |
    And the file "shot.png" contains "PNG bytes"

  Scenario: On Kiwi TCMS 16.2 a new execution is made in one call with its status and dates
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    And the test results:
      | name      | outcome | started                 | stopped                 |
      | t.passing | passed  | 2026-01-01T00:00:00.000 | 2026-01-01T00:00:01.500 |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.add_case is not called
    And TestExecution.update is not called
    And TestExecution.create is called with:
      | case              | test case "t.passing"         |
      | status            | status "PASSED"               |
      | start_date        | "2026-01-01 00:00:00"         |
      | stop_date         | "2026-01-01 00:00:01.500000"  |
      | tested_by         | user "fake-tester"            |
      | case_text_version | present                       |
    And the reported test run has the executions:
      | case      | status |
      | t.passing | PASSED |

  Scenario: On Kiwi TCMS 16.2 properties, CI origin, links and attachments land
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    And the test results:
      | name      | outcome | message    | properties                 | attachments |
      | t.failing | failed  | boom       | browser=firefox; seed=42   | shot.png    |
      | t.passing | passed  |            | browser=firefox            |             |
    When the plugin reports the results
    Then the report succeeds
    And the execution of "t.failing" has the properties browser=firefox, seed=42
    And the execution of "t.passing" has the properties browser=firefox
    And the execution of "t.failing" has 1 link to "https://github.example.com/org/repo/actions/runs/77"
    And the execution of "t.passing" has 0 links to "https://github.example.com/org/repo/actions/runs/77"
    And the execution of "t.failing" has the attachment "shot.png"
    And the reported test run has the properties ci=GitHub Actions, commit=0123abcd, branch=main, job_url=https://github.example.com/org/repo/actions/runs/77, os=Linux

  Scenario: On Kiwi TCMS 12.4 the same input keeps its extras in comments and notes
    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the test results:
      | name      | outcome | message    | properties                 | attachments |
      | t.failing | failed  | boom       | browser=firefox; seed=42   | shot.png    |
      | t.passing | passed  |            | browser=firefox            |             |
    When the plugin reports the results
    Then the report succeeds
    And TestExecution.create is not called
    And TestExecution.add_property is not called
    And the comment on "t.failing" contains "browser = firefox"
    And the comment on "t.failing" contains "shot.png"
    And the execution of "t.passing" has no comment
    And the execution of "t.failing" has 1 link to "https://github.example.com/org/repo/actions/runs/77"
    And the execution of "t.failing" has no property
    And the execution of "t.failing" has no attachment
    And the reported test run has no property
    And the notes of the reported test run contain "commit: 0123abcd"
    And the notes of the reported test run contain "job_url: https://github.example.com/org/repo/actions/runs/77"

  Scenario: Reporting again into the run adds no second link or attachment
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    And the test results:
      | name      | outcome | message | attachments |
      | t.failing | failed  | boom    | shot.png    |
    And the plugin has reported the results
    And the environment variable TCMS_RUN_ID is the id of the test run of the last report
    When the plugin reports the results again
    Then the report succeeds
    And the execution of "t.failing" has 1 link to "https://github.example.com/org/repo/actions/runs/77"
    And the execution of "t.failing" has the attachment "shot.png"
    And TestExecution.add_attachment is not called
    And TestExecution.add_link is not called

  Scenario: Two profiles share one run on Kiwi TCMS 16.2, each with its own execution
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    And the environment variable TCMS_RUN_KEY is "k-1"
    And the environment variable TCMS_PROFILE is "py27"
    And the test results:
      | name | outcome |
      | t.x  | failed  |
    And the plugin has reported the results
    And the environment variable TCMS_PROFILE is "py34"
    And the test results:
      | name | outcome |
      | t.x  | passed  |
    When the plugin reports the results
    Then the report succeeds
    And the server has 1 test run
    And the server has 2 executions
