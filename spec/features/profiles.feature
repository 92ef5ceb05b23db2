Feature: Profiles keep the results of configurations apart
  A profile names the configuration a report's results belong to (TCMS_PROFILE: a name, or
  key=value pairs). It is recorded where a reader sees it, and the results of one profile never
  replace another's.

  Scenario: A profile is recorded in the run's tag, notes and summary
    Given a Kiwi TCMS 12.4 server
    And the environment variables:
      | TCMS_PRODUCT         | P                    |
      | TCMS_PRODUCT_VERSION | v1                   |
      | TCMS_BUILD           | b1                   |
      | TCMS_PROFILE         | python=3.12,os=linux |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.create is called with:
      | summary | "[junit.xml] Results for P, v1, b1 [os=linux,python=3.12]" |
      | notes   | containing "profile: os=linux,python=3.12"                 |
    And TestRun.add_tag is called with the arguments test run "[junit.xml] Results for P, v1, b1 [os=linux,python=3.12]", "tcms-profile:os=linux,python=3.12"

  Scenario: Shards of two profiles with one run key report into runs of their own
    Given a Kiwi TCMS 12.4 server
    And the environment variables:
      | TCMS_PRODUCT         | P     |
      | TCMS_PRODUCT_VERSION | v1    |
      | TCMS_BUILD           | b1    |
      | TCMS_RUN_KEY         | k-1   |
      | TCMS_PROFILE         | py27  |
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
    And the server has 2 test runs
    And the test run "[junit.xml] Results for P, v1, b1 [py27]" has the executions:
      | case | status |
      | t.x  | FAILED |
    And the test run "[junit.xml] Results for P, v1, b1 [py34]" has the executions:
      | case | status |
      | t.x  | PASSED |

  Scenario: A profile that is neither a name nor key=value pairs is refused
    Given a Kiwi TCMS 12.4 server
    And the environment variable TCMS_PROFILE is "a,b"
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails with a settings error
    And the error message contains "profile \"a,b\""
