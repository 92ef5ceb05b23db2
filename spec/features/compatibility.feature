Feature: Compatibility with the Python plugins and behaviour newer than the specification
  What the Python tcms-api (and so every official Python plugin) does beyond the 2018
  specification, which the Rust plugins do the same way so that both can report into the same
  Kiwi TCMS: TCMS_PLAN_ID, TCMS_PARENT_PLAN, TCMS_PREFIX, TCMS_DEFAULT_TESTER_ID, the status
  fallback by weight, plan names cut to 255 characters, the plan type Integration, confirmed and
  automated test cases, and the names "[prefix] Plan for P (V)" and "[prefix] Results for P, V, B".
  Also the GitHub Actions and GitLab CI variables that the Python plugins do not read.

  Background:
    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    And the plugin is "tcms-junit-xml" version "0.1.0" with the prefix "[junit.xml]"

  Scenario: TCMS_PLAN_ID creates the new run under that existing plan
    Given the product "P" with version "v1" and build "b1"
    And the test plan "Release plan" of product "P" version "v1"
    And the environment variable TCMS_PLAN_ID is the id of the test plan "Release plan"
    And the environment variable TCMS_BUILD is "b2"
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And the plugin reused the test plan "Release plan"
    And TestPlan.create is not called
    And Product.create is not called
    And Build.create is called with:
      | version | version "v1" |
      | name    | "b2"         |
    And TestRun.create is called with:
      | summary | "[junit.xml] Results for P, v1, b2" |
      | plan    | test plan "Release plan"            |
      | build   | build "b2"                          |
    And the test plan "Release plan" has the test cases "t.passing"

  Scenario: TCMS_PARENT_PLAN becomes the parent of a newly created plan
    Given the product "P" with version "v1" and build "b1"
    And the test plan "Umbrella" of product "P" version "v1"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the environment variable TCMS_PARENT_PLAN is the id of the test plan "Umbrella"
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestPlan.create is called with:
      | name   | "[junit.xml] Plan for P (v1)" |
      | parent | test plan "Umbrella"          |
    And the test plan "[junit.xml] Plan for P (v1)" has:
      | parent | test plan "Umbrella" |

  Scenario: TCMS_PREFIX replaces the plugin's prefix in the plan name and the run summary
    Given the environment variables:
      | TCMS_PRODUCT         | P    |
      | TCMS_PRODUCT_VERSION | v1   |
      | TCMS_BUILD           | b1   |
      | TCMS_PREFIX          | [CI] |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestPlan.create is called with:
      | name | "[CI] Plan for P (v1)" |
    And TestRun.create is called with:
      | summary | "[CI] Results for P, v1, b1" |

  Scenario: TCMS_PREFIX set to the empty string gives names without a leading space, as Kiwi stores them
    tcms-api sends " Plan for P (v1)"; Kiwi strips the space when it saves the plan, so the
    Python plugins never find that plan again and create a new one on every run.

    Given the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the environment variable TCMS_PREFIX is ""
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestPlan.create is called with:
      | name | "Plan for P (v1)" |
    And TestRun.create is called with:
      | summary | "Results for P, v1, b1" |
    When the plugin reports the results again
    Then the report succeeds
    And TestPlan.create is not called
    And the plugin reused the test plan "Plan for P (v1)"
    And the server has 1 test plan

  Scenario: TCMS_DEFAULT_TESTER_ID is the plan author, the run's default tester and manager, and the tester of every execution
    Given the user "ci-bot" with id 7
    And the environment variables:
      | TCMS_PRODUCT           | P  |
      | TCMS_PRODUCT_VERSION   | v1 |
      | TCMS_BUILD             | b1 |
      | TCMS_DEFAULT_TESTER_ID | 7  |
    And the test results:
      | name      | outcome | message |
      | t.passing | passed  |         |
      | t.failing | failed  | no      |
    When the plugin reports the results
    Then the report succeeds
    And TestPlan.create is called with:
      | author | user "ci-bot" |
    And TestRun.create is called with:
      | manager        | user "ci-bot" |
      | default_tester | user "ci-bot" |
    And TestCase.create is called with:
      | summary        | "t.failing"   |
      | default_tester | user "ci-bot" |
    And TestExecution.update for "t.failing" is sent with:
      | status    | status "FAILED" |
      | tested_by | user "ci-bot"   |
    And the reported test run has the executions:
      | case      | status | tested_by |
      | t.passing | PASSED | ci-bot    |
      | t.failing | FAILED | ci-bot    |

  Scenario: Without TCMS_DEFAULT_TESTER_ID the server's defaults apply and the run manager is the plan's author
    Given the user "alice" with id 3
    And the product "P" with version "v1" and build "b1"
    And the test plan "[junit.xml] Plan for P (v1)" of product "P" version "v1" by the user "alice"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.create is called with:
      | manager        | user "alice" |
      | default_tester | user "alice" |
    And TestCase.create is called with:
      | default_tester | absent |
    And TestExecution.update for "t.passing" is sent with:
      | tested_by | absent |
    And the reported test run has the executions:
      | case      | status | tested_by   |
      | t.passing | PASSED | fake-tester |

  Scenario: Statuses renamed by an administrator are found by their weight
    Given the administrator renamed the execution status PASSED to "OK"
    And the administrator renamed the execution status FAILED to "BROKEN"
    And the administrator renamed the execution status WAIVED to "NOT NEEDED"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome | message |
      | t.passing | passed  |         |
      | t.failing | failed  | no      |
      | t.skipped | skipped | later   |
      | t.error   | error   | oops    |
    When the plugin reports the results
    Then the report succeeds
    And TestExecution.update for "t.passing" is sent with:
      | status | status "OK" |
    And the reported test run has the executions:
      | case      | status     |
      | t.passing | OK         |
      | t.failing | BROKEN     |
      | t.skipped | NOT NEEDED |
      | t.error   | ERROR      |

  Scenario: Names longer than 255 characters become a prefix and a hash of the whole name, and are reused
    The Python plugins cut such names to 255 characters, so tests that differ only at the end
    share one case; here the summary is a readable prefix and a hash of the whole name.
    Given the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And a passed test result named "suite.long_" followed by 300 times "é"
    When the plugin reports the results
    Then the report succeeds
    And TestCase.create is called with:
      | summary | the stored summary of the long name |
    And the server has 1 test case
    When the plugin reports the results again
    Then the report succeeds
    And TestCase.create is not called
    And TestCase.filter is called with:
      | summary__in | [the stored summary of the long name] |
    And the server has 1 test case

  Scenario: A product name that makes the plan name too long is cut to 255 characters
    Given the environment variable TCMS_PRODUCT is "P" followed by 300 times "x"
    And the environment variables:
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And the name of the created test plan has 255 characters and starts with "[junit.xml] Plan for Pxxx"

  Scenario: New test cases are CONFIRMED, automated, in the product's default category, with the lowest priority id
    Given the server lists priorities in reverse order
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name  | outcome |
      | t.new | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestCase.create is called with:
      | summary      | "t.new"                                    |
      | case_status  | case status "CONFIRMED"                    |
      | is_automated | true                                       |
      | category     | category "--default--" of product "P"      |
      | priority     | priority "P1"                              |
      | notes        | "Created by tcms-junit-xml, version 0.1.0" |
    And the test case "t.new" has:
      | case_status__name | "CONFIRMED"   |
      | is_automated      | true          |
      | category__name    | "--default--" |

  Scenario: The plan type Integration is created when the server has none
    Given the server has no plan type "Integration"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And PlanType.create is called with:
      | name | "Integration" |
    And TestPlan.create is called with:
      | type | plan type "Integration" |

  Scenario: A plan made by the Python plugin is found by its name and reused
    Given the product "org/app" with version "main" and build "41"
    And the test plan "[junit.xml] Plan for org/app (main)" of product "org/app" version "main"
    And the environment variables:
      | TCMS_PRODUCT         | org/app |
      | TCMS_PRODUCT_VERSION | main    |
      | TCMS_BUILD           | 42      |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestPlan.filter is called with:
      | name            | "[junit.xml] Plan for org/app (main)" |
      | product         | product "org/app"                     |
      | product_version | version "main"                        |
    And TestPlan.create is not called
    And the plugin reused the test plan "[junit.xml] Plan for org/app (main)"
    And TestRun.create is called with:
      | summary | "[junit.xml] Results for org/app, main, 42" |

  Scenario: The TAP plugin's names carry its own prefix, so it gets its own plan
    Given the plugin is "tcms-tap" version "0.1.0" with the prefix "[TAP]"
    And the product "P" with version "v1" and build "b1"
    And the test plan "[junit.xml] Plan for P (v1)" of product "P" version "v1"
    And the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestPlan.create is called with:
      | name | "[TAP] Plan for P (v1)"             |
      | text | "Created by tcms-tap, version 0.1.0" |
    And TestRun.create is called with:
      | summary | "[TAP] Results for P, v1, b1" |
    And the server has 2 test plans

  Scenario: The Travis CI and Jenkins variables of the specification name product, version and build
    Given the environment variables:
      | TRAVIS_REPO_SLUG    | org/travis-app |
      | JOB_NAME            | jenkins-job    |
      | GIT_COMMIT          | 0a1b2c3        |
      | BUILD_NUMBER        | 77             |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And Product.create is called with:
      | name | "org/travis-app" |
    And Version.create is called with:
      | value | "0a1b2c3" |
    And Build.create is called with:
      | name | "77" |

  Scenario: GitHub Actions variables name product, version and build when TCMS_ variables are not set
    Given the environment variables:
      | GITHUB_REPOSITORY | org/app |
      | GITHUB_REF_NAME   | main    |
      | GITHUB_RUN_NUMBER | 42      |
      | GITHUB_HEAD_REF   |         |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.create is called with:
      | summary | "[junit.xml] Results for org/app, main, 42" |
    And the server has 1 product

  Scenario: GitHub Actions pull requests use the head branch as the version
    Given the environment variables:
      | GITHUB_REPOSITORY | org/app    |
      | GITHUB_HEAD_REF   | feature-x  |
      | GITHUB_REF_NAME   | 12/merge   |
      | GITHUB_RUN_NUMBER | 43         |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestPlan.create is called with:
      | name | "[junit.xml] Plan for org/app (feature-x)" |

  Scenario: GitLab CI variables name product, version and build when TCMS_ variables are not set
    Given the environment variables:
      | CI_PROJECT_PATH    | group/project |
      | CI_COMMIT_REF_NAME | develop       |
      | CI_PIPELINE_ID     | 1001          |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.create is called with:
      | summary | "[junit.xml] Results for group/project, develop, 1001" |

  Scenario: TCMS_ variables win over the CI variables
    Given the environment variables:
      | TCMS_PRODUCT         | Mine    |
      | TCMS_PRODUCT_VERSION | 1.0     |
      | TCMS_BUILD           | nightly |
      | GITHUB_REPOSITORY    | org/app |
      | GITHUB_REF_NAME      | main    |
      | GITHUB_RUN_NUMBER    | 42      |
      | CI_PROJECT_PATH      | g/p     |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report succeeds
    And TestRun.create is called with:
      | summary | "[junit.xml] Results for Mine, 1.0, nightly" |

  Scenario: A report without a product name stops before any change and names every variable looked at
    Given the environment variables:
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name      | outcome |
      | t.passing | passed  |
    When the plugin reports the results
    Then the report fails with a settings error
    And the error message contains "TCMS_PRODUCT, TRAVIS_REPO_SLUG, JOB_NAME, GITHUB_REPOSITORY, CI_PROJECT_PATH"
    And the plugin makes no change on the server
    And the plugin exits with status 1

  Scenario: TCMS_RUN_ID works against Kiwi TCMS 16.2, whose runs have other keys
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    And the product "P" with version "v1" and build "b1"
    And the test plan "Nightly" of product "P" version "v1"
    And the test run "Nightly run" of test plan "Nightly" for build "b1"
    And the environment variable TCMS_RUN_ID is the id of the test run "Nightly run"
    And the test results:
      | name      | outcome | message |
      | t.passing | passed  |         |
      | t.failing | failed  | no      |
    When the plugin reports the results
    Then the report succeeds
    And the plugin reused the test run "Nightly run"
    And TestCase.filter is called with:
      | summary__in       | ["t.passing", "t.failing"] |
      | category__product | product "P"                |
    And the test plan "Nightly" has the test cases "t.passing", "t.failing"
    And the test run "Nightly run" has the executions:
      | case      | status |
      | t.passing | PASSED |
      | t.failing | FAILED |
