WITH validated AS (
  SELECT
    "id" AS "id",
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST("arpu" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST("arpu" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "arpu",
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST("arpu_prev" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST("arpu_prev" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "arpu_prev",
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST("arpu_3m" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST("arpu_3m" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "arpu_3m",
    CASE
      WHEN NOT (
        "tenure_months" < -1000000000000000000 OR "tenure_months" > 1000000000000000000
      )
      THEN CAST("tenure_months" AS BIGINT)
    END AS "tenure_months",
    TRY_CAST(CASE
      WHEN NOT (
        ABS(TRY_CAST("package_fee" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN TRY_CAST("package_fee" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "package_fee",
    "card" AS "card",
    "status" AS "status",
    CASE
      WHEN NOT (
        "birthday_month" < -1000000000000000000 OR "birthday_month" > 1000000000000000000
      )
      THEN CAST("birthday_month" AS BIGINT)
    END AS "birthday_month",
    NULLIF(
      CONCAT_WS(
        '; ',
        COALESCE(
          CASE WHEN "id" IS NULL THEN 'id: is required' END,
          CASE
            WHEN NOT "id" IS NULL
            AND NOT CASE WHEN LENGTH("id") = 0 THEN 'must not be empty' END IS NULL
            THEN 'id: ' || CASE WHEN LENGTH("id") = 0 THEN 'must not be empty' END || ' (got ' || "id" || ')'
          END
        ),
        CASE
          WHEN NOT "arpu" IS NULL
          AND NOT CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("arpu" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("arpu" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("arpu" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END IS NULL
          THEN 'arpu: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("arpu" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("arpu" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("arpu" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("arpu" AS TEXT) || ')'
        END,
        CASE
          WHEN NOT "arpu_prev" IS NULL
          AND NOT CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("arpu_prev" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("arpu_prev" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("arpu_prev" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END IS NULL
          THEN 'arpu_prev: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("arpu_prev" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("arpu_prev" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("arpu_prev" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("arpu_prev" AS TEXT) || ')'
        END,
        CASE
          WHEN NOT "arpu_3m" IS NULL
          AND NOT CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("arpu_3m" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("arpu_3m" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("arpu_3m" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END IS NULL
          THEN 'arpu_3m: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("arpu_3m" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("arpu_3m" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("arpu_3m" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("arpu_3m" AS TEXT) || ')'
        END,
        CASE
          WHEN NOT "tenure_months" IS NULL
          AND NOT CASE
            WHEN "tenure_months" < -1000000000000000000 OR "tenure_months" > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN "tenure_months" < 0
            THEN 'must be greater than or equal to 0'
          END IS NULL
          THEN 'tenure_months: ' || CASE
            WHEN "tenure_months" < -1000000000000000000 OR "tenure_months" > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN "tenure_months" < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("tenure_months" AS TEXT) || ')'
        END,
        CASE
          WHEN NOT "package_fee" IS NULL
          AND NOT CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("package_fee" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("package_fee" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("package_fee" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END IS NULL
          THEN 'package_fee: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN TRY_CAST("package_fee" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(TRY_CAST("package_fee" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN TRY_CAST("package_fee" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("package_fee" AS TEXT) || ')'
        END,
        CASE
          WHEN NOT "card" IS NULL
          AND NOT CASE
            WHEN NOT (
              "card" IN ('none', 'silver', 'gold', 'diamond')
            )
            THEN 'must be one of none, silver, gold, diamond'
          END IS NULL
          THEN 'card: ' || CASE
            WHEN NOT (
              "card" IN ('none', 'silver', 'gold', 'diamond')
            )
            THEN 'must be one of none, silver, gold, diamond'
          END || ' (got ' || "card" || ')'
        END,
        CASE
          WHEN NOT "status" IS NULL
          AND NOT CASE
            WHEN NOT (
              "status" IN ('active', 'suspended', 'pre_cancel')
            )
            THEN 'must be one of active, suspended, pre_cancel'
          END IS NULL
          THEN 'status: ' || CASE
            WHEN NOT (
              "status" IN ('active', 'suspended', 'pre_cancel')
            )
            THEN 'must be one of active, suspended, pre_cancel'
          END || ' (got ' || "status" || ')'
        END,
        CASE
          WHEN NOT "birthday_month" IS NULL
          AND NOT CASE
            WHEN "birthday_month" < -1000000000000000000 OR "birthday_month" > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN "birthday_month" < 1
            THEN 'must be greater than or equal to 1'
            WHEN "birthday_month" > 12
            THEN 'must be less than or equal to 12'
          END IS NULL
          THEN 'birthday_month: ' || CASE
            WHEN "birthday_month" < -1000000000000000000 OR "birthday_month" > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN "birthday_month" < 1
            THEN 'must be greater than or equal to 1'
            WHEN "birthday_month" > 12
            THEN 'must be less than or equal to 12'
          END || ' (got ' || CAST("birthday_month" AS TEXT) || ')'
        END
      ),
      ''
    ) AS __error
  FROM customers
), stratum_1_when AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    CASE
      WHEN NOT (
        "card" = 'none'
      ) AND "arpu_3m" >= 500
      THEN 1
      WHEN NOT (
        "card" = 'none'
      ) AND (
        "arpu_3m" >= 200 AND "arpu_3m" < 500
      )
      THEN 2
      WHEN NOT (
        "card" = 'none'
      ) AND (
        "arpu_3m" >= 120 AND "arpu_3m" < 200
      )
      THEN 3
      WHEN NOT (
        "card" = 'none'
      ) AND "arpu_3m" < 120
      THEN 4
      WHEN "arpu_3m" >= 120
      THEN 5
      WHEN TRUE
      THEN 6
    END AS __hit_0
  FROM validated
), stratum_1_then AS (
  SELECT
    *,
    CASE
      WHEN __hit_0 IS NULL
      THEN CAST(NULL AS TEXT)
      ELSE LIST_EXTRACT(['diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary'], __hit_0)
    END AS "tier"
  FROM stratum_1_when
), stratum_1 AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    LIST_FILTER(
      [
        CASE __hit_0
          WHEN 1
          THEN 'tier-by-card-and-arpu#1'
          WHEN 2
          THEN 'tier-by-card-and-arpu#2'
          WHEN 3
          THEN 'tier-by-card-and-arpu#3'
          WHEN 4
          THEN 'tier-by-card-and-arpu#4'
          WHEN 5
          THEN 'tier-by-card-and-arpu#5'
          WHEN 6
          THEN 'tier-by-card-and-arpu#6'
        END
      ],
      LAMBDA x : NOT x IS NULL
    ) AS __s1_fired
  FROM stratum_1_then
), stratum_2_shared AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    __s1_fired,
    "status" = 'active' AS __shared_2_0
  FROM stratum_1
), stratum_2_when AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    __s1_fired,
    COALESCE(
      (
        "tier" = 'silver' AND __shared_2_0 AND "arpu_3m" >= 150 AND "package_fee" < 188
      ),
      FALSE
    ) AS __when_1,
    COALESCE((
      "tier" IN ('silver', 'mid_high') AND __shared_2_0
    ), FALSE) AS __when_2,
    COALESCE(
      (
        "arpu" < CASE WHEN ABS("arpu_prev") < 10000000 THEN CAST(CAST(CAST("arpu_prev" AS DECIMAL(17, 10)) * CAST(0.8 AS DECIMAL(1, 1)) AS DECIMAL(18, 10)) AS DECIMAL(28, 10)) ELSE TRY_CAST(CAST(TRY("arpu_prev" * CAST(0.8 AS DECIMAL(28, 10))) AS DECIMAL(38, 10)) AS DECIMAL(28, 10)) END
        AND "tenure_months" >= 12
      ),
      FALSE
    ) AS __when_3,
    COALESCE(
      (
        "tier" IN ('member', 'mid_high', 'ordinary')
        AND __shared_2_0
        AND "tenure_months" >= 6
      ),
      FALSE
    ) AS __when_4,
    COALESCE((
      "tier" IN ('diamond', 'gold') AND NOT "birthday_month" IS NULL
    ), FALSE) AS __when_5
  FROM stratum_2_shared
), stratum_2_then AS (
  SELECT
    *,
    __when_1 AS __fired_1,
    __when_2 AND NOT __when_1 AS __fired_2,
    __when_3 AS __fired_3,
    CASE
      WHEN (
        ABS("arpu_prev") >= 1000000000 OR ABS(CAST(0.8 AS DECIMAL(28, 10))) >= 1000000000
      )
      AND CASE WHEN ABS("arpu_prev") < 10000000 THEN CAST(CAST(CAST("arpu_prev" AS DECIMAL(17, 10)) * CAST(0.8 AS DECIMAL(1, 1)) AS DECIMAL(18, 10)) AS DECIMAL(28, 10)) ELSE TRY_CAST(CAST(TRY("arpu_prev" * CAST(0.8 AS DECIMAL(28, 10))) AS DECIMAL(38, 10)) AS DECIMAL(28, 10)) END IS NULL
      AND NOT "arpu_prev" IS NULL
      THEN 'number overflow in ''spend-warning'': arpu_prev * 0.8 is beyond 18 digits before the point'
    END AS __err0_3,
    __when_4 AND NOT (
      __when_1 OR __when_2
    ) AS __fired_4,
    __when_5 AS __fired_5,
    CASE WHEN __fired_3 THEN 'warning' ELSE CAST('stable' AS TEXT) END AS "trend"
  FROM stratum_2_when
), stratum_2 AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    __s1_fired,
    __err0_3,
    __fired_4,
    "trend",
    LIST_FILTER(
      [
        CASE WHEN __fired_1 THEN 'prestore-golf' WHEN __fired_2 THEN 'prestore-lecture' END,
        CASE WHEN __fired_3 THEN 'spend-warning' END,
        CASE WHEN __fired_4 THEN 'trial-pack' END,
        CASE WHEN __fired_5 THEN 'birthday-care' END
      ],
      LAMBDA x : NOT x IS NULL
    ) AS __s2_fired,
    LIST_FILTER(
      [
        CASE
          WHEN __fired_1
          THEN 'prestore-golf'
          WHEN __fired_2
          THEN 'prestore-lecture'
          WHEN __fired_4
          THEN 'trial-pack'
        END
      ],
      LAMBDA x : NOT x IS NULL
    ) AS __s2_offers,
    __fired_5 AS __s2_tag_0,
    __fired_3 AS __s2_tag_1
  FROM stratum_2_then
), access_modes AS (
  SELECT
    *,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_0,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_1,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_2,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_3,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_4,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_5,
    LIST_CONCAT(
      CASE
        WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
        THEN ['free']
        WHEN CAST("tier" AS TEXT) IN ('silver')
        THEN ['paid', 'prestore', 'trial']
        WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
        THEN ['paid', 'trial']
        ELSE CAST([] AS TEXT[])
      END,
      LIST_FILTER(
        [
          CASE
            WHEN __fired_4
            AND NOT COALESCE(CAST("tier" AS TEXT) IN ('silver', 'member', 'mid_high', 'ordinary'), FALSE)
            THEN 'trial'
          END
        ],
        LAMBDA x : NOT x IS NULL
      )
    ) AS __modes_6,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_7,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_8,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_9,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_10,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_11,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_12,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold')
      THEN ['free']
      WHEN CAST("tier" AS TEXT) IN ('silver')
      THEN ['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS TEXT) IN ('member', 'mid_high', 'ordinary')
      THEN ['paid', 'trial']
      ELSE CAST([] AS TEXT[])
    END AS __modes_13,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_14,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_15,
    CASE
      WHEN CAST("tier" AS TEXT) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ['free']
      ELSE CAST([] AS TEXT[])
    END AS __modes_16
  FROM stratum_2
), row_error AS (
  SELECT
    *,
    COALESCE(__error, __err0_3) AS __row_error
  FROM access_modes
)
SELECT
  CAST("id" AS TEXT) AS "id",
  CASE WHEN __row_error IS NULL THEN "tier" END AS "tier",
  CASE WHEN __row_error IS NULL THEN "trend" END AS "trend",
  CASE
    WHEN __row_error IS NULL
    THEN LIST_FILTER(
      [
        CASE WHEN __s2_tag_0 THEN 'birthday-care' END,
        CASE WHEN __s2_tag_1 THEN 'retention-target' END
      ],
      LAMBDA x : NOT x IS NULL
    )
  END AS "tags",
  CASE WHEN __row_error IS NULL THEN __s2_offers END AS "offers",
  CASE
    WHEN __row_error IS NULL
    THEN MAP(
      LIST_FILTER(
        [
          CASE WHEN ARRAY_LENGTH(__modes_0) > 0 THEN 'magazine' END,
          CASE WHEN ARRAY_LENGTH(__modes_1) > 0 THEN 'airport-lounge' END,
          CASE WHEN ARRAY_LENGTH(__modes_2) > 0 THEN 'rail-lounge' END,
          CASE WHEN ARRAY_LENGTH(__modes_3) > 0 THEN 'birthday-care' END,
          CASE WHEN ARRAY_LENGTH(__modes_4) > 0 THEN 'account-manager' END,
          CASE WHEN ARRAY_LENGTH(__modes_5) > 0 THEN 'golf-club' END,
          CASE WHEN ARRAY_LENGTH(__modes_6) > 0 THEN 'fitness-club' END,
          CASE WHEN ARRAY_LENGTH(__modes_7) > 0 THEN 'car-club' END,
          CASE WHEN ARRAY_LENGTH(__modes_8) > 0 THEN 'handset-club' END,
          CASE WHEN ARRAY_LENGTH(__modes_9) > 0 THEN 'lecture-hall' END,
          CASE WHEN ARRAY_LENGTH(__modes_10) > 0 THEN 'handset-service' END,
          CASE WHEN ARRAY_LENGTH(__modes_11) > 0 THEN 'sim-service' END,
          CASE WHEN ARRAY_LENGTH(__modes_12) > 0 THEN 'health-service' END,
          CASE WHEN ARRAY_LENGTH(__modes_13) > 0 THEN 'roaming-rental' END,
          CASE WHEN ARRAY_LENGTH(__modes_14) > 0 THEN 'merchant-alliance' END,
          CASE WHEN ARRAY_LENGTH(__modes_15) > 0 THEN 'co-brand-card' END,
          CASE WHEN ARRAY_LENGTH(__modes_16) > 0 THEN 'local-specialty' END
        ],
        LAMBDA x : NOT x IS NULL
      ),
      LIST_FILTER(
        [
          __modes_0,
          __modes_1,
          __modes_2,
          __modes_3,
          __modes_4,
          __modes_5,
          __modes_6,
          __modes_7,
          __modes_8,
          __modes_9,
          __modes_10,
          __modes_11,
          __modes_12,
          __modes_13,
          __modes_14,
          __modes_15,
          __modes_16
        ],
        LAMBDA y : ARRAY_LENGTH(y) > 0
      )
    )
  END AS "access",
  CASE WHEN __row_error IS NULL THEN CAST(0 AS BIGINT) END AS "points",
  CASE WHEN __row_error IS NULL THEN LIST_CONCAT(__s1_fired, __s2_fired) END AS "fired",
  __row_error AS "error"
FROM row_error
